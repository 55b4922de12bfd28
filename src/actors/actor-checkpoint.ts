import Database from 'better-sqlite3';
import type { Effect } from '../../state-machines/fold';
import type { PersistedState } from '../../state-machines/persisted-state';
import { CheckpointPart } from '../checkpoint/checkpoint';
import { StoredEvent } from '../ports/event-store.port';
import type { PendingTimer } from './timer-book';

/** An actor as the checkpoint keeps it. */
export interface CheckpointedActor {
  streamId: string;
  version: number;
  state: PersistedState;
  /** The effects its state still owes, and the event that asked for them. */
  owed?: { event: StoredEvent; effects: Effect[] };
}

/** A pending timer as the checkpoint keeps it. */
export type CheckpointedTimer = Omit<PendingTimer, 'generation'>;

/** What the host tells its checkpoint about one stream. */
export interface ActorSource {
  actor(streamId: string): CheckpointedActor | undefined;
  timers(streamId: string): CheckpointedTimer[];
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS actors (
    stream_id TEXT    PRIMARY KEY,
    version   INTEGER NOT NULL,
    state     TEXT    NOT NULL,
    owed      TEXT
  );
  CREATE TABLE IF NOT EXISTS timers (
    stream_id  TEXT    NOT NULL,
    timer_id   TEXT    NOT NULL,
    event_type TEXT    NOT NULL,
    due_at     INTEGER NOT NULL,
    PRIMARY KEY (stream_id, timer_id)
  );
`;

interface ActorRow {
  stream_id: string;
  version: number;
  state: string;
  owed: string | null;
}

interface TimerRow {
  stream_id: string;
  timer_id: string;
  event_type: string;
  due_at: number;
}

/**
 * The host's part of the checkpoint: the actors it holds (every one not finished, in the order
 * they were created) with the effects they owe, and the pending timers. Writes only the streams
 * that changed since its last write; a stream whose actor left memory loses its row.
 */
export class ActorCheckpoint implements CheckpointPart {
  readonly schema = SCHEMA;
  private readonly changed = new Set<string>();
  private statements?: ReturnType<typeof prepare>;

  constructor(
    private readonly source: ActorSource,
    private readonly restoreInto: (actors: CheckpointedActor[], timers: CheckpointedTimer[]) => void,
  ) {}

  restore(db: Database.Database): void {
    this.statements = prepare(db);
    const actors = this.statements.actors.all().map((row): CheckpointedActor => ({
      streamId: row.stream_id,
      version: row.version,
      state: JSON.parse(row.state),
      owed: row.owed === null ? undefined : JSON.parse(row.owed),
    }));
    const timers = this.statements.timers.all().map((row): CheckpointedTimer => ({
      streamId: row.stream_id,
      timerId: row.timer_id,
      eventType: row.event_type,
      dueAt: row.due_at,
    }));
    this.restoreInto(actors, timers);
  }

  /** Notes that the stream's actor or timers changed. */
  changedStream(streamId: string): void {
    this.changed.add(streamId);
  }

  write(): void {
    if (!this.statements || this.changed.size === 0) return;
    const s = this.statements;
    for (const streamId of this.changed) {
      const actor = this.source.actor(streamId);
      if (actor) {
        s.upsert.run(
          streamId,
          actor.version,
          JSON.stringify(actor.state),
          actor.owed ? JSON.stringify(actor.owed) : null,
        );
      } else {
        s.delete.run(streamId);
      }
      s.deleteTimers.run(streamId);
      for (const timer of this.source.timers(streamId)) {
        s.insertTimer.run(streamId, timer.timerId, timer.eventType, timer.dueAt);
      }
    }
    this.changed.clear();
  }
}

function prepare(db: Database.Database) {
  return {
    actors: db.prepare<[], ActorRow>('SELECT * FROM actors ORDER BY rowid'),
    timers: db.prepare<[], TimerRow>('SELECT * FROM timers'),
    upsert: db.prepare(
      `INSERT INTO actors (stream_id, version, state, owed) VALUES (?, ?, ?, ?)
       ON CONFLICT (stream_id) DO UPDATE SET version = excluded.version, state = excluded.state, owed = excluded.owed`,
    ),
    delete: db.prepare('DELETE FROM actors WHERE stream_id = ?'),
    deleteTimers: db.prepare('DELETE FROM timers WHERE stream_id = ?'),
    insertTimer: db.prepare(
      'INSERT INTO timers (stream_id, timer_id, event_type, due_at) VALUES (?, ?, ?, ?)',
    ),
  };
}
