import { Logger } from '@nestjs/common';
import { Client, ClientConfig } from 'pg';
import { errorMessage } from '../../common/errors';

/** Waits before connecting again: from the first, doubling up to the last. */
const RECONNECT_FIRST_MS = 100;
const RECONNECT_MAX_MS = 5_000;

/**
 * A connection that `LISTEN`s on one channel and stays listening: when the connection is lost (the
 * server restarted, the connection was ended), it connects again, waiting longer each time it
 * fails, and calls `onNotify` once connected again, since notifications sent meanwhile are lost.
 */
export class PostgresListener {
  private readonly logger = new Logger(PostgresListener.name);
  private client?: Client;
  private closed = false;
  private retry?: NodeJS.Timeout;

  private constructor(
    private readonly config: ClientConfig,
    private readonly channel: string,
    /** Called with each notification's payload, and with undefined after a reconnection. */
    private readonly onNotify: (payload: string | undefined) => void,
  ) {}

  /** Connects and listens; rejects when the first connection fails. */
  static async start(
    config: ClientConfig,
    channel: string,
    onNotify: (payload: string | undefined) => void,
  ): Promise<PostgresListener> {
    const listener = new PostgresListener(config, channel, onNotify);
    await listener.connect();
    return listener;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retry);
    await this.client?.end().catch(() => undefined);
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
