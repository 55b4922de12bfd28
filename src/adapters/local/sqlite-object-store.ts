import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { mkdir, open, readdir, unlink, type FileHandle } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { coalesced } from '../../common/coalesced';
import { assertValidObjectKey, assertValidObjectKeyPrefix } from '../../object-store/object-key';
import { ObjectNotFoundError } from '../../object-store/object-store.errors';
import {
  DEFAULT_CONTENT_TYPE,
  ObjectInfo,
  ObjectStore,
  PutObjectOptions,
} from '../../ports/object-store.port';
import { fsyncDirectory, lastWritten } from './file-system';
import { WalSync } from './wal-sync';

/** Options of {@link SqliteObjectStore}. */
export interface SqliteObjectStoreOptions {
  /** The database file; created with its tables on first open. Several processes may share it. */
  file: string;
  /** The folder for bodies larger than `inlineLimitBytes`, one file each. Default: `<file>-large`. */
  largeBodiesDir?: string;
  /**
   * Buffers up to this size are kept in the database itself. Default: 1 MiB, past the size of
   * nearly every photo a classifier gets, and small enough that the log SQLite writes them
   * through stays short.
   */
  inlineLimitBytes?: number;
  /** How long a write waits for another process's write to end. Default: 5 000 ms. */
  busyTimeoutMs?: number;
}

interface ObjectRow {
  body: Buffer | null;
  file: string | null;
}

// One row per object. A body is in `body`, or, when larger than the inline limit, in the file
// named `file` in the large-bodies folder: each version its own file, written before its row.
const SCHEMA = `
  CREATE TABLE IF NOT EXISTS objects (
    key          TEXT    NOT NULL UNIQUE,
    content_type TEXT    NOT NULL,
    size         INTEGER NOT NULL,
    modified_ms  INTEGER NOT NULL,
    body         BLOB,
    file         TEXT
  );
`;

const LIST_PAGE = 500;
/** The database's page size, set when the file is created: 16 KiB (SQLite's default is 4). */
const PAGE_BYTES = 16 * 1024;
/** How often a read retries when the version it looked up is replaced before its file is opened. */
const REPLACED_RETRIES = 5;

/**
 * An {@link ObjectStore} in one SQLite file (the `local` profile). Small bodies, which is nearly
 * every image and every result, live in the database: a put is one short transaction whose flush
 * ({@link WalSync}) concurrent puts share, where a file per object costs a file creation, its fsync
 * and its directory's (on this project's machines, without a journal, creating a file alone cost
 * up to 0.7 ms of kernel time). Larger bodies go to a file of their own, written and fsynced
 * before the row that names it commits; a replaced or deleted version's file is removed once the
 * change is on disk, and an open stream keeps reading it. A file no row names (a writer killed
 * between the two) is removed by {@link sweepOrphanFiles}.
 *
 * A put resolves once its commit is on disk; readers see the previous version or the new one.
 */
export class SqliteObjectStore extends ObjectStore {
  private readonly db: Database.Database;
  private readonly wal: WalSync;
  private readonly largeDir: string;
  private readonly inlineLimit: number;
  private readonly syncLargeDir = coalesced(() => fsyncDirectory(this.largeDir));
  private largeDirReady?: Promise<void>;
  private readonly statements;

  constructor(options: SqliteObjectStoreOptions) {
    super();
    const file = resolve(options.file);
    this.largeDir = resolve(options.largeBodiesDir ?? `${file}-large`);
    this.inlineLimit = options.inlineLimitBytes ?? 1024 * 1024;
    this.db = new Database(file);
    try {
      this.db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
      // Before the first table, this sets the file's page size: a photo of 30 KB then fills 2 pages
      // rather than 8, and its put writes a quarter of the WAL frames (measured: a third less CPU).
      this.db.pragma(`page_size = ${PAGE_BYTES}`);
      this.db.pragma('journal_mode = WAL');
      // Created under the write lock only when missing: a process that opens the store while
      // another writes need not wait for it.
      const created = this.db.prepare(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'objects'",
      );
      if (!created.get()) this.db.transaction(() => this.db.exec(SCHEMA)).immediate();
      this.wal = new WalSync(this.db, file);
    } catch (error) {
      this.db.close();
      throw error;
    }
    this.statements = {
      find: this.db.prepare<[string], ObjectRow>('SELECT body, file FROM objects WHERE key = ?'),
      info: this.db.prepare<[string], { size: number; content_type: string; modified_ms: number }>(
        'SELECT size, content_type, modified_ms FROM objects WHERE key = ?',
      ),
      fileOf: this.db.prepare<[string], { file: string | null }>('SELECT file FROM objects WHERE key = ?'),
      upsert: this.db.prepare<[string, string, number, number, Buffer | null, string | null]>(
        `INSERT INTO objects (key, content_type, size, modified_ms, body, file) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (key) DO UPDATE SET content_type = excluded.content_type, size = excluded.size,
           modified_ms = excluded.modified_ms, body = excluded.body, file = excluded.file`,
      ),
      remove: this.db.prepare<[string]>('DELETE FROM objects WHERE key = ?'),
      keysFrom: this.db.prepare<[string], { key: string }>(
        `SELECT key FROM objects WHERE key >= ? ORDER BY key LIMIT ${LIST_PAGE}`,
      ),
      keysAfter: this.db.prepare<[string], { key: string }>(
        `SELECT key FROM objects WHERE key > ? ORDER BY key LIMIT ${LIST_PAGE}`,
      ),
      files: this.db.prepare<[], { file: string }>('SELECT file FROM objects WHERE file IS NOT NULL'),
    };
  }

  /**
   * A buffer up to the inline limit is written in the database; a larger one, and any stream, to a
   * file of its own (a stream is a body its caller chose not to hold in memory, so none of it is).
   */
  async put(key: string, body: Buffer | Readable, options: PutObjectOptions = {}): Promise<void> {
    assertValidObjectKey(key);
    const contentType = options.contentType ?? DEFAULT_CONTENT_TYPE;
    if (Buffer.isBuffer(body) && body.length <= this.inlineLimit) {
      return this.commit(key, contentType, body.length, body, null);
    }
    const { file, size } = await this.writeLargeBody(body);
    try {
      await this.commit(key, contentType, size, null, file);
    } catch (error) {
      await unlink(join(this.largeDir, file)).catch(() => undefined);
      throw error;
    }
  }

  async get(key: string): Promise<Buffer> {
    assertValidObjectKey(key);
    for (let attempt = 0; ; attempt++) {
      const row = this.statements.find.get(key);
      if (!row) throw new ObjectNotFoundError(key);
      if (row.file === null) return row.body ?? Buffer.alloc(0);
      const handle = await this.openLarge(row.file, attempt);
      if (!handle) continue;
      try {
        return await handle.readFile();
      } finally {
        await handle.close();
      }
    }
  }

  async getStream(key: string): Promise<Readable> {
    assertValidObjectKey(key);
    for (let attempt = 0; ; attempt++) {
      const row = this.statements.find.get(key);
      if (!row) throw new ObjectNotFoundError(key);
      if (row.file === null) return Readable.from([row.body ?? Buffer.alloc(0)]);
      // Streams from the open handle, which keeps this version readable even if it is replaced.
      const handle = await this.openLarge(row.file, attempt);
      if (handle) return handle.createReadStream();
    }
  }

  async head(key: string): Promise<ObjectInfo | null> {
    assertValidObjectKey(key);
    const row = this.statements.info.get(key);
    if (!row) return null;
    return { size: row.size, contentType: row.content_type, lastModified: new Date(row.modified_ms) };
  }

  async delete(key: string): Promise<void> {
    assertValidObjectKey(key);
    const replaced = this.db
      .transaction(() => {
        const old = this.statements.fileOf.get(key);
        if (old) this.statements.remove.run(key);
        return old;
      })
      .immediate();
    if (!replaced) return;
    await this.wal.sync();
    await this.removeLarge(replaced.file);
  }

  async *list(prefix: string): AsyncIterable<string> {
    assertValidObjectKeyPrefix(prefix);
    // BINARY collation compares the UTF-8 bytes, which is S3's order.
    let page = this.statements.keysFrom.all(prefix);
    while (page.length > 0) {
      for (const { key } of page) {
        if (!key.startsWith(prefix)) return;
        yield key;
      }
      if (page.length < LIST_PAGE) return;
      page = this.statements.keysAfter.all(page[page.length - 1].key);
    }
  }

  /**
   * Removes files in the large-bodies folder that no object names and that were last written more
   * than `olderThanMs` ago (a put in another process may still be about to commit a recent one).
   * Resolves with how many it removed.
   */
  async sweepOrphanFiles(olderThanMs: number): Promise<number> {
    let names: string[];
    try {
      names = await readdir(this.largeDir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      throw error;
    }
    const named = new Set(this.statements.files.all().map((row) => row.file));
    const cutoff = Date.now() - olderThanMs;
    let removed = 0;
    for (const name of names.filter((name) => !named.has(name))) {
      const path = join(this.largeDir, name);
      if ((await lastWritten(path)) >= cutoff) continue;
      await unlink(path).catch(() => undefined);
      removed++;
    }
    return removed;
  }

  /** Waits for the flush under way and closes the connection. */
  async close(): Promise<void> {
    await this.wal.close();
    this.db.close();
  }

  /** Records a version and resolves once that is on disk; then removes the version it replaced. */
  private async commit(
    key: string,
    contentType: string,
    size: number,
    body: Buffer | null,
    file: string | null,
  ): Promise<void> {
    const replaced = this.db
      .transaction(() => {
        const old = this.statements.fileOf.get(key);
        this.statements.upsert.run(key, contentType, size, Date.now(), body, file);
        return old?.file ?? null;
      })
      .immediate();
    await this.wal.sync();
    await this.removeLarge(replaced);
  }

  /** Writes a body to a new file of its own, fsynced with its folder entry; returns its name and size. */
  private async writeLargeBody(body: Buffer | Readable): Promise<{ file: string; size: number }> {
    // Until the body is read below, an 'error' it emits would have no listener and crash the
    // process; the read itself still fails with that error.
    const ignoreUntilRead = (): void => undefined;
    if (!Buffer.isBuffer(body)) body.on('error', ignoreUntilRead);
    const file = randomUUID();
    let size = 0;
    try {
      await (this.largeDirReady ??= createFolder(this.largeDir));
      const handle = await open(join(this.largeDir, file), 'wx');
      try {
        // writeFile writes from the current position and, unlike write, never stops short.
        for await (const chunk of Buffer.isBuffer(body) ? [body] : body) {
          await handle.writeFile(chunk as Uint8Array);
          size += (chunk as Uint8Array).length;
        }
        await handle.sync();
      } finally {
        await handle.close();
      }
      await this.syncLargeDir();
    } catch (error) {
      await unlink(join(this.largeDir, file)).catch(() => undefined);
      throw error;
    } finally {
      if (!Buffer.isBuffer(body)) body.off('error', ignoreUntilRead);
    }
    return { file, size };
  }

  /** Opens a large body's file; undefined when it is gone (replaced since its row was read). */
  private async openLarge(file: string, attempt: number): Promise<FileHandle | undefined> {
    try {
      return await open(join(this.largeDir, file), 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || attempt >= REPLACED_RETRIES) throw error;
      return undefined;
    }
  }

  private async removeLarge(file: string | null): Promise<void> {
    if (file === null) return;
    // Not fsynced: should the file come back after a power loss, no row names it and the sweep takes it.
    await unlink(join(this.largeDir, file)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
  }
}

/** Creates a folder and makes its entry in its parent durable. */
async function createFolder(path: string): Promise<void> {
  const created = await mkdir(path, { recursive: true });
  if (created !== undefined) await fsyncDirectory(dirname(path));
}
