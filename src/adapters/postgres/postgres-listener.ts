import { Logger } from '@nestjs/common';
import { Client, ClientConfig } from 'pg';
import { errorMessage } from '../../common/errors';

/** Waits before connecting again: from the first, doubling up to the last. */
const RECONNECT_FIRST_MS = 100;
const RECONNECT_MAX_MS = 5_000;
/** Default of {@link PostgresListener.start}'s `heartbeatMs`. */
const DEFAULT_HEARTBEAT_MS = 5_000;

/**
 * A connection that `LISTEN`s on one channel and stays listening: when the connection is lost (the
 * server restarted, the connection was ended), it connects again, waiting longer each time it
 * fails, and calls `onNotify` once connected again, since notifications sent meanwhile are lost.
 *
 * A connection can also go silent without ending: its server's host vanished, or a failover left
 * it half-open. A listener only receives, so it would wait for notifications forever; instead it
 * asks the server for an answer every `heartbeatMs` and counts the connection lost when none
 * comes within that time.
 */
export class PostgresListener {
  private readonly logger = new Logger(PostgresListener.name);
  private client?: Client;
  private closed = false;
  private retry?: NodeJS.Timeout;
  private heartbeat?: NodeJS.Timeout;

  private constructor(
    private readonly config: ClientConfig,
    private readonly channel: string,
    /** Called with each notification's payload, and with undefined after a reconnection. */
    private readonly onNotify: (payload: string | undefined) => void,
    private readonly heartbeatMs: number,
  ) {}

  /**
   * Connects and listens; rejects when the first connection fails.
   * @param heartbeatMs how often the connection is checked, and how long its answer may take
   *   (default 5 000; 0: never checked).
   */
  static async start(
    config: ClientConfig,
    channel: string,
    onNotify: (payload: string | undefined) => void,
    heartbeatMs = DEFAULT_HEARTBEAT_MS,
  ): Promise<PostgresListener> {
    const listener = new PostgresListener(config, channel, onNotify, heartbeatMs);
    await listener.connect();
    listener.beat();
    return listener;
  }

  /** Stops listening; waits for the connection to end, but no longer than a heartbeat (it may be silent). */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retry);
    clearTimeout(this.heartbeat);
    const ended = this.client?.end().catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      ended,
      new Promise((resolve) => (timer = setTimeout(resolve, this.heartbeatMs || DEFAULT_HEARTBEAT_MS))),
    ]);
    clearTimeout(timer);
  }

  /** Checks the connection every `heartbeatMs` (see {@link check}). */
  private beat(): void {
    if (this.heartbeatMs === 0 || this.closed) return;
    this.heartbeat = setTimeout(() => void this.check().finally(() => this.beat()), this.heartbeatMs);
  }

  /** One check: the connection answers within `heartbeatMs`, or it counts as lost. */
  private async check(): Promise<void> {
    const client = this.client;
    if (!client) return;
    let timer: NodeJS.Timeout | undefined;
    const answered = await Promise.race([
      // A query that fails means a lost connection, which its 'error' or 'end' reports.
      client.query('SELECT 1').then(
        () => true,
        () => true,
      ),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), this.heartbeatMs))),
    ]);
    clearTimeout(timer);
    if (!answered) this.lost(client, new Error(`it did not answer within ${this.heartbeatMs} ms`));
  }

  private async connect(): Promise<void> {
    const client = new Client(this.config);
    client.on('notification', ({ payload }) => this.onNotify(payload));
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client));
    await client.connect();
    await client.query(`LISTEN "${this.channel.replaceAll('"', '""')}"`);
    this.client = client;
  }

  private lost(client: Client, error?: Error): void {
    if (this.closed || this.client !== client) return;
    this.client = undefined;
    this.logger.warn(`Lost the connection that listens for new events${error ? `: ${error.message}` : ''}`);
    void client.end().catch(() => undefined);
    this.reconnect(RECONNECT_FIRST_MS);
  }

  private reconnect(waitMs: number): void {
    this.retry = setTimeout(() => {
      if (this.closed) return;
      this.connect().then(
        () => {
          this.logger.log('Listening for new events again');
          this.onNotify(undefined);
        },
        (error: unknown) => {
          this.logger.warn(`Could not listen for new events yet: ${errorMessage(error)}`);
          this.reconnect(Math.min(RECONNECT_MAX_MS, waitMs * 2));
        },
      );
    }, waitMs);
  }
}
