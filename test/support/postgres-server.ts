import { randomUUID } from 'node:crypto';
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
