import { Logger } from '@nestjs/common';
import { Pool } from 'pg';
import { Observable, Subject } from 'rxjs';
import { coalesced } from '../../common/coalesced';
import { errorMessage } from '../../common/errors';
import { checkExpectedVersion, DEFAULT_PAGE_SIZE } from '../../events/append-rules';
import { catchUpThenLive } from '../../events/catch-up';
import { EventRow, PendingAppend, storedEventOf } from '../../events/event-rows';
import { Clock } from '../../ports/clock.port';
import {
  AppendResult,
  EventStore,
  ExpectedVersion,
  NewEvent,
  ReadAllOptions,
  StoredEvent,
  StreamVersionConflictError,
} from '../../ports/event-store.port';
import { PostgresListener } from './postgres-listener';
import { migrate } from './postgres-migrations';
import { schemaConnection } from './schema-connection';

/** Options of {@link PostgresEventStore.open}. */
export interface PostgresEventStoreOptions {
  /** `postgres://user:password@host:port/database` (env DATABASE_URL). */
  url: string;
  /** The schema that holds the log (created if missing). Default: `public`. */
  schema?: string;
  /** Connections for reads besides the one that appends and the one that listens. Default: 4. */
  readConnections?: number;
  /**
   * How often the connection that listens for other writers' commits is checked, and how long its
   * answer may take before it is replaced (see {@link PostgresListener}). Default: 5 000 ms.
   */
  listenerHeartbeatMs?: number;
  /**
   * How long a query may wait for its answer (default 30 000 ms): one on a connection gone silent
   * then fails, and its connection is replaced. An append that fails so may still have committed;
   * its events then reach this store as another writer's would.
   */
  queryTimeoutMs?: number;
}

/** One row of `append_batch`: an appended event, or an append refused (see the migrations). */
interface BatchRow {
  item: number;
  appended_position: number | null;
  appended_version: number | null;
  conflict_version: number | null;
}

const COLUMNS = 'position, stream_id, version, type, schema_version, data, recorded_at';

/**
 * The event log in PostgreSQL (`EVENT_STORE=postgres`), shared by every control plane on one
 * database. Appends go through one connection, in the order made, those of one turn of the event
 * loop as one statement (the `append_batch` function): their version checks and positions are one
 * transaction, and positions are handed out in commit order, so a reader paging by position never passes an
 * event that commits later. Live events come from `LISTEN`: any control plane's commit wakes the
 * others, which read what follows the last position they published, so each sees the whole log
 * in order, with no gap and no duplicate.
 */
export class PostgresEventStore extends EventStore {
  override readonly shared = true;
  private readonly logger = new Logger(PostgresEventStore.name);
  private readonly live = new Subject<StoredEvent>();
  /** The last position published live. */
  private tail = 0;
  private closed = false;
  private readonly publishNew = coalesced(() => this.publishFromTail());
  private pending: PendingAppend[] = [];
  /** The batch being committed: the next goes after it, on the same connection. */
  private sending: Promise<void> = Promise.resolve();

  private listener?: PostgresListener;

  private constructor(
    /** One connection, so that batches commit in the order sent; a lost one is replaced. */
    private readonly writer: Pool,
    private readonly readers: Pool,
    private readonly clock: Clock,
  ) {
    super();
  }

  /** Connects, creates or migrates the schema, and starts listening for other writers' commits. */
  static async open(options: PostgresEventStoreOptions, clock: Clock): Promise<PostgresEventStore> {
    const schema = options.schema ?? 'public';
    const config = schemaConnection(options.url, schema, options.queryTimeoutMs);
    const writer = new Pool({ ...config, max: 1 });
    const readers = new Pool({ ...config, max: options.readConnections ?? 4 });
    const store = new PostgresEventStore(writer, readers, clock);
    // An idle connection the server ended: the pool replaces it at the next query.
    for (const pool of [writer, readers])
      pool.on('error', (error) => store.logger.warn(`A connection to the event log ended: ${error.message}`));
    try {
      const client = await writer.connect();
      try {
        await migrate(client, schema);
      } finally {
        client.release();
      }
      store.tail = await store.lastPosition();
      // This store's own commits are published already: only other writers' wake it, and a
      // reconnection (notifications sent meanwhile are lost).
      store.listener = await PostgresListener.start(
        config,
        `${schema}.events`,
        (payload) => {
          if (payload === undefined || Number(payload) > store.tail) store.wake();
        },
        options.listenerHeartbeatMs,
      );
    } catch (error) {
      await Promise.allSettled([writer.end(), readers.end()]);
      throw error;
    }
    return store;
  }

  /**
   * Appends made in the same turn of the event loop are sent together, as one call of
   * `append_batch` (one transaction, one commit), in the order they were made; each keeps its own
   * version check, so one conflict fails only its own append. Batches go one after another.
   */
  append(streamId: string, events: NewEvent[], expectedVersion: ExpectedVersion): Promise<AppendResult> {
    return new Promise((resolve, reject) => {
      if (this.pending.length === 0) setImmediate(() => this.sendPending());
      this.pending.push({ streamId, events, expectedVersion, resolve, reject });
    });
  }

  async readStream(streamId: string, fromVersion = 1): Promise<StoredEvent[]> {
    const { rows } = await this.readers.query<EventRow>(
      `SELECT ${COLUMNS} FROM events WHERE stream_id = $1 AND version >= $2 ORDER BY version`,
      [streamId, fromVersion],
    );
    return rows.map(storedEventOf);
  }

  async readAll({ after = 0, limit = DEFAULT_PAGE_SIZE }: ReadAllOptions = {}): Promise<StoredEvent[]> {
    const { rows } = await this.readers.query<EventRow>(
      `SELECT ${COLUMNS} FROM events WHERE position > $1 ORDER BY position LIMIT $2`,
      [after, limit],
    );
    return rows.map(storedEventOf);
  }

  async lastPosition(): Promise<number> {
    const { rows } = await this.readers.query<{ last: number }>(
      'SELECT coalesce(max(position), 0) AS last FROM events',
    );
    return rows[0].last;
  }

  subscribe(after?: number): Observable<StoredEvent> {
    if (after === undefined) return this.live.asObservable();
    return catchUpThenLive(this.live, (from) => this.readAll({ after: from }), after);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.sending;
    await Promise.allSettled([this.listener?.close(), this.writer.end(), this.readers.end()]);
    this.live.complete();
  }

  private sendPending(): void {
    const batch = this.pending;
    this.pending = [];
    this.sending = this.sending.then(() => this.commitBatch(batch));
  }

  /** Commits one batch and settles its appends; never rejects (each append hears its own error). */
  private async commitBatch(batch: PendingAppend[]): Promise<void> {
    const recordedAt = this.clock.now();
    const writing = batch.filter((request) => request.events.length > 0);
    const appends = writing.map(({ streamId, events, expectedVersion }) => ({
      stream: streamId,
      expected: expectedVersion === 'any' ? -1 : expectedVersion === 'no_stream' ? 0 : expectedVersion,
      events: events.map(({ type, schemaVersion, data }) => ({
        type,
        schemaVersion: schemaVersion ?? 1,
        data,
      })),
    }));
    let rows: BatchRow[] = [];
    try {
      if (appends.length > 0)
        ({ rows } = await this.writer.query<BatchRow>('SELECT * FROM append_batch($1, $2)', [
          JSON.stringify(appends),
          recordedAt,
        ]));
    } catch (error) {
      batch.forEach((request) => request.reject(error));
      return;
    }
    const outcomes = new Map(
      writing.map((request) => [request, { stored: [] as StoredEvent[], conflict: -1 }]),
    );
    for (const row of rows) {
      const request = writing[row.item];
      const outcome = outcomes.get(request)!;
      if (row.conflict_version !== null) {
        outcome.conflict = row.conflict_version;
        continue;
      }
      const event = request.events[outcome.stored.length];
      outcome.stored.push({
        type: event.type,
        streamId: request.streamId,
        version: row.appended_version!,
        position: row.appended_position!,
        recordedAt,
        schemaVersion: event.schemaVersion ?? 1,
        data: structuredClone(event.data),
      });
    }
    await this.publishThrough([...outcomes.values()].flatMap((outcome) => outcome.stored));
    for (const request of batch) {
      const outcome = outcomes.get(request);
      if (!outcome) {
        await this.emptyAppend(request.streamId, request.expectedVersion).then(
          request.resolve,
          request.reject,
        );
      } else if (outcome.conflict >= 0) {
        request.reject(
          new StreamVersionConflictError(request.streamId, request.expectedVersion, outcome.conflict),
        );
      } else {
        const last = outcome.stored.at(-1)!;
        request.resolve({ nextVersion: last.version, lastPosition: last.position, events: outcome.stored });
      }
    }
  }

  /** An append of no event: nothing written, but its expected version is still checked. */
  private async emptyAppend(streamId: string, expected: ExpectedVersion): Promise<AppendResult> {
    const [events, lastPosition] = await Promise.all([this.readStream(streamId), this.lastPosition()]);
    const current = events.at(-1)?.version ?? 0;
    if (!checkExpectedVersion(expected, current))
      throw new StreamVersionConflictError(streamId, expected, current);
    return { nextVersion: current, lastPosition, events: [] };
  }

  /** Publishes what was committed since the last publication (a failed read is logged: the next wake reads it). */
  private wake(): void {
    this.publishNew().catch((error: unknown) =>
      this.logger.error(`Could not read the new events: ${errorMessage(error)}`),
    );
  }

  /**
   * Publishes this store's own appended events before their append resolves (as a subscriber
   * that subscribed before the append expects): at once when they follow the last published,
   * else with what other writers committed before them, read from the log.
   */
  private async publishThrough(own: StoredEvent[]): Promise<void> {
    if (own.length === 0) return;
    if (this.tail === own[0].position - 1) own.forEach((event) => this.publish(event));
    else if (this.tail < own.at(-1)!.position) await this.publishNew();
  }

  /** Publishes, in order, every event past the last one published. */
  private async publishFromTail(): Promise<void> {
    while (!this.closed) {
      const page = await this.readAll({ after: this.tail });
      if (page.length === 0) return;
      page.forEach((event) => this.publish(event));
    }
  }

  /** Publishes the event that follows the last published; passes over one published already. */
  private publish(event: StoredEvent): void {
    if (event.position <= this.tail) return;
    this.tail = event.position;
    this.live.next(event);
  }
}
