import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import type { Effect } from '../../state-machines/fold';
import { PersistedState, persistState, restoreState } from '../../state-machines/persisted-state';
import { CheckpointPart } from '../checkpoint/checkpoint';
import { StoredEvent } from '../ports/event-store.port';
import type { Actor, OwedEffects } from './actor-host.service';
import { ACTOR_KINDS, kindOfStream } from './actor-kinds';
import type { PendingTimer, TimerBook } from './timer-book';

/** The host's state the checkpoint keeps, and fills again when it is restored. */
export interface HostState {
  actors: Map<string, Actor>;
  owed: Map<string, OwedEffects>;
  timers: TimerBook;
}

/** What the checkpoint keeps of the effects an actor owes, and the event that asked for them. */
type CheckpointedOwed = { event: StoredEvent; effects: Effect[] };

/**
 * Which machines made a checkpoint's states: a checkpoint made by other machines (a new version
 * of the service) is rebuilt from the log.
 */
export function machinesIdentity(): string {
  const hash = createHash('sha256');
  for (const kind of ACTOR_KINDS) hash.update(kind.name).update(JSON.stringify(kind.machine.definition));
  return `machines:${hash.digest('hex')}`;
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

  constructor(private readonly host: HostState) {}

  /** Takes back into the host the actors, owed effects and timers the checkpoint kept. */
  restore(db: Database.Database): void {
    this.statements = prepare(db);
    for (const row of this.statements.actors.all()) {
      const owner = kindOfStream(row.stream_id);
      if (!owner) continue;
      const { kind, id } = owner;
      const snapshot = restoreState(kind.machine, JSON.parse(row.state) as PersistedState);
      this.host.actors.set(row.stream_id, {
        kind,
        id,
        streamId: row.stream_id,
        snapshot,
        version: row.version,
      });
      if (row.owed !== null) {
        const { event, effects } = JSON.parse(row.owed) as CheckpointedOwed;
        this.host.owed.set(row.stream_id, { kind, event, effects });
      }
    }
    const timers = this.statements.timers.all().map((row): Omit<PendingTimer, 'generation'> => ({
      streamId: row.stream_id,
      timerId: row.timer_id,
      eventType: row.event_type,
      dueAt: row.due_at,
    }));
    this.host.timers.restore(timers);
  }

  /** Notes that the stream's actor or timers changed. */
  changedStream(streamId: string): void {
    this.changed.add(streamId);
  }

  write(): void {
    if (!this.statements || this.changed.size === 0) return;
    const s = this.statements;
    for (const streamId of this.changed) {
      const actor = this.host.actors.get(streamId);
      if (actor) {
        const owed = this.host.owed.get(streamId);
        const kept: CheckpointedOwed | undefined = owed && { event: owed.event, effects: owed.effects };
        s.upsert.run(
          streamId,
          actor.version,
          JSON.stringify(persistState(actor.snapshot)),
          kept ? JSON.stringify(kept) : null,
        );
      } else {
        s.delete.run(streamId);
      }
      s.deleteTimers.run(streamId);
      for (const timer of this.host.timers.of(streamId)) {
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
