import { Client } from 'pg';
import { startThrowawayPostgres } from '../src/adapters/postgres/throwaway-postgres';

/** The PostgreSQL a benchmark's logs live on, each in a schema named after the run. */
export interface BenchPostgres {
  url: string;
  /** The name of the run's schema called `name`. */
  schema(name: string): string;
  /** Drops the run's schemas (on a server it was given) or stops the server it started. */
  done(): Promise<void>;
}

/**
 * The server at env DATABASE_URL, else one started for the run with its commits fsynced, as
 * SQLite's are.
 */
export async function benchPostgres(): Promise<BenchPostgres> {
  const prefix = `bench_${process.pid}_`;
  const schema = (name: string) => `${prefix}${name}`;
  const given = process.env.DATABASE_URL;
  if (!given) {
    const server = await startThrowawayPostgres({ durable: true });
    return { url: server.url, schema, done: () => server.stop() };
  }
  return { url: given, schema, done: () => dropSchemas(given, prefix) };
}

async function dropSchemas(url: string, prefix: string): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ name: string }>(
      'SELECT nspname AS name FROM pg_namespace WHERE starts_with(nspname, $1)',
      [prefix],
    );
    for (const { name } of rows) await client.query(`DROP SCHEMA "${name}" CASCADE`);
  } finally {
    await client.end();
  }
}
