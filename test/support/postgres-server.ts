import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import {
  PostgresHost,
  startThrowawayPostgres,
  ThrowawayPostgres,
} from '../../src/adapters/postgres/throwaway-postgres';
import { track } from './spawned';

export type PostgresServer = ThrowawayPostgres;

/** A new schema's name: a test that opens its log there starts from an empty one. */
export const freshSchema = () => `t_${randomUUID().replaceAll('-', '')}`;

/**
 * A PostgreSQL server of the test's own (see {@link startThrowawayPostgres}), killed should the test
 * die; on `host`, in a network namespace.
 */
export function startPostgresServer(host?: PostgresHost): Promise<PostgresServer> {
  return startThrowawayPostgres({ onSpawn: track, host });
}

/**
 * Ends the session that holds the leader lease of `schema` (as the server does when the leader's
 * host dies, or the network between them fails); how many sessions it ended.
 */
export async function endLeaseSession(url: string, schema: string): Promise<number> {
  const admin = new Client({ connectionString: url });
  await admin.connect();
  try {
    const { rowCount } = await admin.query(
      `SELECT pg_terminate_backend(pid) FROM pg_locks
        WHERE locktype = 'advisory' AND granted AND objid = hashtext($1)::oid`,
      [`${schema}.leader`],
    );
    return rowCount ?? 0;
  } finally {
    await admin.end();
  }
}
