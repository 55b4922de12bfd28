import { Logger } from '@nestjs/common';
import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { EventStore, StoredEvent } from '../ports/event-store.port';
import { PublishedCheckpoint, PublishedCheckpoints } from '../ports/published-checkpoints.port';

/**
 * One piece of state kept in the checkpoint: the host's actors, or a read model. Its tables hold
 * what folding the log up to the checkpoint's position made of it.
 */
export interface CheckpointPart {
  /** `CREATE TABLE IF NOT EXISTS …` statements for its tables; part of the checkpoint's identity. */
  readonly schema: string;
  /** Reads its state back (prepares its statements too): called once, when the checkpoint opens. */
  restore(db: Database.Database): void | Promise<void>;
  /** Writes what changed since its last write. Runs inside the checkpoint's transaction. */
  write(): void;
}

/** The last event folded into a checkpoint, which the log must still hold for it to be valid. */
type Mark = Pick<StoredEvent, 'position' | 'streamId' | 'version'>;

interface MarkRow {
  identity: string;
  position: number;
  stream_id: string;
  version: number;
}

const MARK_SCHEMA = `
  CREATE TABLE IF NOT EXISTS checkpoint (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    identity  TEXT    NOT NULL,
    position  INTEGER NOT NULL,
    stream_id TEXT    NOT NULL,
    version   INTEGER NOT NULL
  );
`;

/** Options of {@link Checkpoint}. */
export interface CheckpointOptions {
  /**
   * How long after a change the checkpoint is written (default 200 ms; 0: at the end of the turn
   * of the event loop). Writing less often lets the changes of many turns share one transaction
   * and an actor changed many times be written once; a crash costs only folding again the events
   * of that time.
   */
  writeAfterMs?: number;
  /**
   * Where the checkpoints of a shared log are published (default: none). With it, {@link open}
   * takes the published one when it is newer than this file's, and {@link publish} publishes.
   * Needs a file.
   */
  published?: PublishedCheckpoints;
}

/**
 * What folding the log made so far — the actors that are still at work, the read models — in one
 * SQLite file beside the log, with the position of the last event folded into it, so that a boot
 * folds only the events after that position. The log stays the source of truth: the checkpoint is
 * written in one transaction, a moment after it changed (so it is always what the log made of its
 * events up to one position), and it is thrown away and rebuilt from the log whenever it does not
 * match — another log, other machines, other tables. Deleting its file forces a rebuild too.
 *
 * `synchronous=NORMAL`: a power cut may lose the last commits, never consistency, and what was
 * lost is folded again from the log.
 *
 * On a shared log, the leader publishes copies of its checkpoint (`published`), and a control
 * plane whose own file is missing, made by other machines or older starts from the published one.
 */
export class Checkpoint {
  private readonly logger = new Logger(Checkpoint.name);
  private db: Database.Database;
  private readonly parts: CheckpointPart[] = [];
  private mark: Mark | undefined;
  private markChanged = false;
  private cancelWrite?: () => void;
  private opened = false;
  private readonly writeAfterMs: number;
  /** Where checkpoints are published, if they are. */
  readonly published?: PublishedCheckpoints;

  /** @param file the SQLite file (created, with its folder, if missing), or `:memory:`. */
  constructor(
    private readonly file = ':memory:',
    { writeAfterMs = 200, published }: CheckpointOptions = {},
  ) {
    this.writeAfterMs = writeAfterMs;
    if (published && file === ':memory:')
      throw new Error('A checkpoint in memory cannot take published ones');
    this.published = published;
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    this.db = openDatabase(file);
  }

  /** The position of the last event folded into the state (0: none). */
  get position(): number {
    return this.mark?.position ?? 0;
  }

  /** Adds a part; every part joins before the checkpoint opens. */
  add(part: CheckpointPart): void {
    if (this.opened) throw new Error('A checkpoint part joined after the checkpoint was opened');
    this.parts.push(part);
  }

  /**
   * Checks the checkpoint against `log` and the parts' schemas, empties it if it does not match,
   * and has every part restore its state.
   * @param identity what else must match: the machines that made the actors' states.
   * @returns the position the restored state reflects: fold the log's events after it (0: all).
   */
  async open(log: EventStore, identity: string): Promise<{ position: number; rebuilt: boolean }> {
    if (this.opened) throw new Error('The checkpoint is open already');
    this.opened = true;
    const fullIdentity = [identity, ...this.parts.map((part) => part.schema)].join('\n');
    let valid = await this.matches(log, fullIdentity);
    if (this.published && (await this.takePublished(log, fullIdentity, valid ? this.position : -1)))
      valid = true;
    if (!valid) this.dropTables();
    this.db.exec(MARK_SCHEMA);
    this.parts.forEach((part) => this.db.exec(part.schema));
    if (!valid) {
      this.db
        .prepare('INSERT INTO checkpoint (id, identity, position, stream_id, version) VALUES (1, ?, 0, ?, 0)')
        .run(fullIdentity, '');
    }
    for (const part of this.parts) await part.restore(this.db);
    return { position: this.mark?.position ?? 0, rebuilt: !valid };
  }

  /** Records that the state now reflects `event` too; written with the parts' next write. */
  advance(event: Mark): void {
    this.mark = { position: event.position, streamId: event.streamId, version: event.version };
    this.markChanged = true;
    this.schedule();
  }

  /** Asks for a write `writeAfterMs` from now, unless one is asked for already (a part has changes). */
  schedule(): void {
    if (this.cancelWrite || !this.db.open) return;
    const write = () => this.flush();
    if (this.writeAfterMs > 0) {
      const timer = setTimeout(write, this.writeAfterMs).unref();
      this.cancelWrite = () => clearTimeout(timer);
    } else {
      const immediate = setImmediate(write);
      this.cancelWrite = () => clearImmediate(immediate);
    }
  }

  /** Writes every part's changes and the position now, in one transaction. */
  flush(): void {
    this.cancelWrite?.();
    this.cancelWrite = undefined;
    if (!this.opened || !this.db.open) return;
    this.db.transaction(() => {
      this.parts.forEach((part) => part.write());
      if (this.markChanged && this.mark) {
        this.db
          .prepare('UPDATE checkpoint SET position = ?, stream_id = ?, version = ? WHERE id = 1')
          .run(this.mark.position, this.mark.streamId, this.mark.version);
      }
      this.markChanged = false;
    })();
  }

  /**
   * Publishes a copy of the checkpoint as it is now (see {@link CheckpointOptions.published}). The
   * copy is made a few pages at a time, between the event loop's other work.
   * @param at the time it is published at.
   * @returns what was published; undefined when nothing was: there is nowhere to, or the
   *   checkpoint is not open or holds no event yet.
   */
  async publish(at: number): Promise<PublishedCheckpoint | undefined> {
    if (!this.published || !this.opened || !this.db.open) return undefined;
    this.flush();
    const copy = `${this.file}.publishing`;
    rmSync(copy, { force: true });
    try {
      await this.db.backup(copy);
      const copied = new Database(copy, { readonly: true });
      const row = copied.prepare('SELECT identity, position FROM checkpoint WHERE id = 1').get() as MarkRow;
      copied.close();
      if (row.position === 0) return undefined;
      return await this.published.publish(copy, {
        identity: identityHash(row.identity),
        position: row.position,
        publishedAt: at,
      });
    } finally {
      rmSync(copy, { force: true });
    }
  }

  /** Writes a consistent copy of the checkpoint as it is now to `file` (which must not exist). */
  saveCopy(file: string): void {
    this.flush();
    this.db.prepare('VACUUM INTO ?').run(file);
  }

  /** Writes what is left and closes the file. */
  close(): void {
    if (!this.db.open) return;
    this.flush();
    this.db.close();
  }

  private async matches(log: EventStore, identity: string): Promise<boolean> {
    const hasMark = this.db
      .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'checkpoint'")
      .get();
    if (!hasMark) return false;
    const row = this.db.prepare('SELECT * FROM checkpoint WHERE id = 1').get() as MarkRow | undefined;
    if (!row || row.identity !== identity) return false;
    if (row.position > 0) {
      const [event] = await log.readAll({ after: row.position - 1, limit: 1 });
      if (
        event?.position !== row.position ||
        event.streamId !== row.stream_id ||
        event.version !== row.version
      )
        return false;
    }
    this.mark =
      row.position > 0
        ? { position: row.position, streamId: row.stream_id, version: row.version }
        : undefined;
    return true;
  }

  /**
   * Replaces the file with the published checkpoint when that one was made by the same machines
   * and tables and is further along the log than `ownPosition` (-1: this file is no use).
   * @returns whether the state now comes from it (its last event is still in the log).
   */
  private async takePublished(log: EventStore, identity: string, ownPosition: number): Promise<boolean> {
    const latest = await this.published!.latest();
    if (!latest || latest.identity !== identityHash(identity) || latest.position <= ownPosition) return false;
    const began = performance.now();
    const download = `${this.file}.download`;
    const taken = await this.published!.download(download);
    if (taken?.identity !== latest.identity) {
      rmSync(download, { force: true });
      return false;
    }
    this.db.close();
    for (const left of ['-wal', '-shm']) rmSync(`${this.file}${left}`, { force: true });
    renameSync(download, this.file);
    this.db = openDatabase(this.file);
    this.mark = undefined;
    const usable = await this.matches(log, identity);
    this.logger.log({
      msg: 'took the published checkpoint',
      position: taken.position,
      ownPosition,
      bytes: taken.sizeBytes,
      ms: Math.round(performance.now() - began),
      usable,
    });
    return usable;
  }

  private dropTables(): void {
    const tables = this.db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
      .pluck()
      .all() as string[];
    for (const table of tables) this.db.exec(`DROP TABLE "${table}"`);
    this.mark = undefined;
  }
}

function openDatabase(file: string): Database.Database {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  // Room for the jobs' indexes: a status page deep into a million jobs skips its index's
  // entries from memory (46 → 26 ms) rather than reading them from the file again.
  db.pragma('cache_size = -32768');
  return db;
}

/** What a published checkpoint records of the identity: its hash, short and fixed in size. */
function identityHash(identity: string): string {
  return createHash('sha256').update(identity).digest('hex');
}
