import { Client } from 'pg';

/** Raised when another control plane holds the event log of a PostgreSQL schema. */
export class EventLogInUseError extends Error {
  constructor(readonly schema: string) {
    super(
      `Another control plane is running on the event log in schema "${schema}": until control planes ` +
        'share a log under an elected leader, one log has one control plane. Stop it, or give this one ' +
        'another DATABASE_SCHEMA.',
    );
    this.name = 'EventLogInUseError';
  }
}

/**
 * Keeps a second control plane off an event log on PostgreSQL, as the data folder's lock does for
 * SQLite: a session advisory lock held on a connection of its own for as long as the control plane
 * runs. The server drops it when that connection ends, however the process ends.
 */
export class PostgresWriterLock {
  private constructor(private readonly client: Client) {}

  /**
   * Takes the lock of `schema`'s log at `url`.
   * @throws EventLogInUseError when another session holds it.
   */
  static async acquire(url: string, schema: string): Promise<PostgresWriterLock> {
    const client = new Client({ connectionString: url });
    // A lost connection loses the lock: nothing is left to do but say so (the log stays consistent).
    client.on('error', () => undefined);
    await client.connect();
    try {
      const { rows } = await client.query<{ locked: boolean }>(
        'SELECT pg_try_advisory_lock(hashtext($1)) AS locked',
        [`${schema}.control-plane`],
      );
      if (!rows[0].locked) throw new EventLogInUseError(schema);
    } catch (error) {
      await client.end();
      throw error;
    }
    return new PostgresWriterLock(client);
  }

  /** Lets another control plane take the log. */
  async release(): Promise<void> {
    await this.client.end().catch(() => undefined);
  }
}
