import { Client, ClientConfig } from 'pg';
import { errorMessage } from '../../common/errors';
import { Leadership } from '../../ports/leadership.port';

/** Options of {@link PostgresLeaderLease.open}. */
export interface PostgresLeaderLeaseOptions {
  /** The database of the event log (env DATABASE_URL). */
  url: string;
  /** The schema of the log: one lead per schema. */
  schema: string;
  /**
   * How often a follower tries to take the lead, and the leader checks that it still holds it.
   * Default: 1 000 ms.
   */
  pollMs?: number;
}

/** What the server waits before it probes a silent connection, and between probes (seconds). */
const KEEPALIVE_IDLE_S = 2;
const KEEPALIVE_INTERVAL_S = 1;
const KEEPALIVE_COUNT = 3;

/**
 * The lead of a log on PostgreSQL, shared by every control plane on one schema: a session advisory
 * lock, held on a connection of the lease's own. A follower tries to take it every `pollMs`; the
 * server drops it with the leader's connection, however the leader ends (its process killed: at
 * once; its host gone: after the keepalive probes, about 5 s). The leader checks its connection on
 * the same beat: once it is gone, another control plane may lead, so {@link lost$} says so and the
 * control plane stops.
 */
export class PostgresLeaderLease extends Leadership {
  private client?: Client;
  private timer?: NodeJS.Timeout;
  private closed = false;
  private readonly key: string;
  private readonly pollMs: number;
  private readonly config: ClientConfig;

  private constructor(options: PostgresLeaderLeaseOptions) {
    super();
    this.key = `${options.schema}.leader`;
    this.pollMs = options.pollMs ?? 1_000;
    this.config = {
      connectionString: options.url,
      keepAlive: true,
      keepAliveInitialDelayMillis: KEEPALIVE_IDLE_S * 1_000,
      query_timeout: Math.max(5_000, 3 * this.pollMs),
      connectionTimeoutMillis: Math.max(5_000, 3 * this.pollMs),
    };
  }

  /**
   * Connects and tries once to take the lead, then keeps trying (or checking) every `pollMs`.
   * @throws the connection's error when the database cannot be reached at all.
   */
  static async open(options: PostgresLeaderLeaseOptions): Promise<PostgresLeaderLease> {
    const lease = new PostgresLeaderLease(options);
    await lease.connect();
    await lease.beat();
    return lease;
  }

  async release(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.client?.end().catch(() => undefined);
  }

  /** One beat: a follower tries to take the lead; the leader checks its connection. */
  private async beat(): Promise<void> {
    if (this.closed) return;
    try {
      if (!this.client) await this.connect();
      if (this.leading) await this.client!.query('SELECT 1');
      else if (await this.tryLock()) {
        this.logger.log({ msg: 'leading', key: this.key });
        this.takeLead().catch((error: unknown) =>
          this.dropConnection(`a duty failed: ${errorMessage(error)}`),
        );
      }
    } catch (error) {
      this.dropConnection(`the lease's connection failed: ${errorMessage(error)}`);
    }
    if (!this.closed) this.timer = setTimeout(() => void this.beat(), this.pollMs);
  }

  private async tryLock(): Promise<boolean> {
    const { rows } = await this.client!.query<{ locked: boolean }>(
      'SELECT pg_try_advisory_lock(hashtext($1)) AS locked',
      [this.key],
    );
    return rows[0].locked;
  }

  private async connect(): Promise<void> {
    const client = new Client(this.config);
    client.on('error', (error) =>
      this.dropConnection(`the lease's connection failed: ${error.message}`, client),
    );
    client.on('end', () => this.dropConnection("the lease's connection ended", client));
    await client.connect();
    // The server's own probes, so that it drops the lock of a leader whose host is gone.
    await client.query(
      `SET tcp_keepalives_idle = ${KEEPALIVE_IDLE_S}; SET tcp_keepalives_interval = ${KEEPALIVE_INTERVAL_S}; ` +
        `SET tcp_keepalives_count = ${KEEPALIVE_COUNT}`,
    );
    this.client = client;
  }

  private dropConnection(reason: string, client = this.client): void {
    if (this.closed || !client || client !== this.client) return;
    this.client = undefined;
    void client.end().catch(() => undefined);
    // A leader that lost the lead tries no more: its duties hold state of their own (timers,
    // loops) that only a restart, as a follower, clears.
    if (this.leading) {
      this.closed = true;
      clearTimeout(this.timer);
    }
    this.loseLead(reason);
  }
}
