import { startThrowawayPostgres, ThrowawayPostgres } from '../../src/adapters/postgres/throwaway-postgres';
import { track } from './spawned';

export type PostgresServer = ThrowawayPostgres;

/** A PostgreSQL server of the test's own (see {@link startThrowawayPostgres}), killed should the test die. */
export function startPostgresServer(): Promise<PostgresServer> {
  return startThrowawayPostgres({ onSpawn: track });
}
