import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Observable, Subject } from 'rxjs';
import { Clock } from '../../ports/clock.port';
import {
  AppendResult,
  EventData,
  EventStore,
  ExpectedVersion,
  NewEvent,
  ReadAllOptions,
  StoredEvent,
  StreamVersionConflictError,
} from '../../ports/event-store.port';
import { catchUpThenLive } from '../../events/catch-up';
import { checkExpectedVersion, DEFAULT_PAGE_SIZE } from '../../events/append-rules';
import { EventRow as EventRowOf, PendingAppend, storedEventOf } from '../../events/event-rows';
import { WalSync } from './wal-sync';

type EventRow = EventRowOf<string>;

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS events (
    position       INTEGER PRIMARY KEY AUTOINCREMENT,
    stream_id      TEXT    NOT NULL,
    version        INTEGER NOT NULL,
    type           TEXT    NOT NULL,
    schema_version INTEGER NOT NULL,
    data           TEXT    NOT NULL,
    recorded_at    INTEGER NOT NULL,
    UNIQUE (stream_id, version)
  );
`;

/**
 * Opens (and creates) the event log's SQLite file in WAL mode. Its commits are made durable by a
 * {@link WalSync} on the same file, as {@link SqliteEventStore} does.
 */
export function openEventLogDatabase(file: string): Database.Database {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 5000');
  db.exec(SCHEMA);
  return db;
}

/**
 * The event log in one SQLite file (WAL). The control plane is its single writer; other
 * processes may read it. A commit is on disk (the WAL fsynced, by {@link WalSync}, off the event
 * loop) before its appends resolve and its events go live, so an acknowledged upload survives a
 * power cut, not only a process crash. Group commit (below) pays one commit for all the appends
 * of one turn of the event loop, and the commits made while an fsync runs share the next.
 */
export class SqliteEventStore extends EventStore {
  private readonly db: Database.Database;
  private readonly wal: WalSync;
  private readonly live = new Subject<StoredEvent>();
  private readonly commitTx: Database.Transaction<(batch: PendingAppend[]) => AppendOutcome[]>;
  private pending: PendingAppend[] = [];
  private readonly statements;

  /** @param file path of the SQLite file; created, with its folder, if missing. */
  constructor(
    file: string,
    private readonly clock: Clock,
  ) {
    super();
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    this.db = openEventLogDatabase(file);
    this.wal = new WalSync(this.db, file);
    this.statements = {
      streamVersion: this.db.prepare<[string], { version: number | null }>(
        'SELECT MAX(version) AS version FROM events WHERE stream_id = ?',
      ),
      insert: this.db.prepare(
        'INSERT INTO events (stream_id, version, type, schema_version, data, recorded_at) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      readStream: this.db.prepare<[string, number], EventRow>(
        'SELECT * FROM events WHERE stream_id = ? AND version >= ? ORDER BY version',
      ),
      readAll: this.db.prepare<[number, number], EventRow>(
        'SELECT * FROM events WHERE position > ? ORDER BY position LIMIT ?',
      ),
      lastPosition: this.db.prepare<[], { position: number | null }>(
        'SELECT MAX(position) AS position FROM events',
      ),
    };
    this.commitTx = this.db.transaction((batch: PendingAppend[]) =>
      batch.map((request) => this.tryAppend(request)),
    );
  }

  /**
   * Appends made in the same turn of the event loop are committed together, in one transaction
   * (group commit), in the order they were made; each keeps its own version check, so one
   * conflict fails only its own append.
   */
  append(streamId: string, events: NewEvent[], expectedVersion: ExpectedVersion): Promise<AppendResult> {
    return new Promise((resolve, reject) => {
      if (this.pending.length === 0) setImmediate(() => this.commitPending());
      this.pending.push({ streamId, events, expectedVersion, resolve, reject });
    });
  }

  async readStream(streamId: string, fromVersion = 1): Promise<StoredEvent[]> {
    return this.statements.readStream.all(streamId, fromVersion).map(toStoredEvent);
  }

  async readAll({ after = 0, limit = DEFAULT_PAGE_SIZE }: ReadAllOptions = {}): Promise<StoredEvent[]> {
    return this.statements.readAll.all(after, limit).map(toStoredEvent);
  }

  async lastPosition(): Promise<number> {
    return this.statements.lastPosition.get()?.position ?? 0;
  }

  subscribe(after?: number): Observable<StoredEvent> {
    if (after === undefined) return this.live.asObservable();
    return catchUpThenLive(this.live, (from) => this.readAll({ after: from }), after);
  }

  async close(): Promise<void> {
    await this.wal.close();
    this.live.complete();
    if (this.db.open) this.db.close();
  }

  private currentVersion(streamId: string): number {
    return this.statements.streamVersion.get(streamId)?.version ?? 0;
  }

  private commitPending(): void {
    const batch = this.pending;
    this.pending = [];
    let outcomes: AppendOutcome[];
    try {
      outcomes = this.commitTx.immediate(batch);
    } catch (error) {
      batch.forEach((request) => request.reject(error));
      return;
    }
    this.wal.sync().then(
      () => this.acknowledge(batch, outcomes),
      (error: unknown) => batch.forEach((request) => request.reject(error)),
    );
  }

  /** Resolves a durable batch's appends and publishes their events, in the order they were made. */
  private acknowledge(batch: PendingAppend[], outcomes: AppendOutcome[]): void {
    batch.forEach((request, i) => {
      const outcome = outcomes[i];
      if ('error' in outcome) return request.reject(outcome.error);
      outcome.stored.forEach((event) => this.live.next(event));
      request.resolve({
        nextVersion: outcome.nextVersion,
        lastPosition: outcome.lastPosition,
        events: outcome.stored,
      });
    });
  }

  private tryAppend({ streamId, events, expectedVersion }: PendingAppend): AppendOutcome {
    try {
      const stored = this.appendInTransaction(streamId, events, expectedVersion);
      const last = stored.at(-1);
      return {
        stored,
        nextVersion: last?.version ?? this.currentVersion(streamId),
        lastPosition: last?.position ?? this.statements.lastPosition.get()?.position ?? 0,
      };
    } catch (error) {
      if (error instanceof StreamVersionConflictError) return { error };
      throw error;
    }
  }

  private appendInTransaction(
    streamId: string,
    events: NewEvent[],
    expected: ExpectedVersion,
  ): StoredEvent[] {
    const current = this.currentVersion(streamId);
    if (!checkExpectedVersion(expected, current)) {
      throw new StreamVersionConflictError(streamId, expected, current);
    }
    if (events.length === 0) return [];
    const recordedAt = this.clock.now();
    const stored = events.map((event, i) => {
      const version = current + i + 1;
      const schemaVersion = event.schemaVersion ?? 1;
      const data = JSON.stringify(event.data);
      const { lastInsertRowid } = this.statements.insert.run(
        streamId,
        version,
        event.type,
        schemaVersion,
        data,
        recordedAt,
      );
      return toStoredEvent({
        position: Number(lastInsertRowid),
        stream_id: streamId,
        version,
        type: event.type,
        schema_version: schemaVersion,
        data,
        recorded_at: recordedAt,
      });
    });
    return stored;
  }
}

type AppendOutcome =
  | { stored: StoredEvent[]; nextVersion: number; lastPosition: number }
  | { error: StreamVersionConflictError };

function toStoredEvent(row: EventRow): StoredEvent {
  return storedEventOf({ ...row, data: JSON.parse(row.data) as EventData });
}
