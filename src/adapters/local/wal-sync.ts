import type Database from 'better-sqlite3';
import { closeSync, fdatasync, openSync } from 'node:fs';
import { coalesced } from '../../common/coalesced';

/**
 * Durable SQLite commits that do not stall the event loop on the disk. The connection runs in WAL
 * mode with `synchronous=NORMAL`, so a commit writes its frames to the WAL file and returns without
 * an fsync; {@link sync} then flushes that file on libuv's thread pool, and a caller acknowledges a
 * commit only once the flush that began after it has ended. What it acknowledges is on disk as
 * with `synchronous=FULL` (a later commit cannot outlive an earlier one: the WAL is replayed in
 * order and stops at the first frame that did not reach the disk), while the event loop serves
 * other requests during the fsync, and the commits made meanwhile share the next one.
 *
 * SQLite still syncs on its own around checkpoints (the WAL before, the database after), as
 * `NORMAL` does. A reader may see a commit before it is acknowledged.
 */
export class WalSync {
  private readonly fd: number | undefined;
  private readonly flush: () => Promise<void>;
  private last: Promise<void> = Promise.resolve();
  private closed = false;

  /**
   * @param db an open connection in WAL mode; set to `synchronous=NORMAL` here.
   * @param file the database's path (`:memory:` needs no flush).
   */
  constructor(db: Database.Database, file: string) {
    db.pragma('synchronous = NORMAL');
    // The connection keeps the WAL file while it is open; 'a' creates it should SQLite not have yet.
    this.fd = file === ':memory:' ? undefined : openSync(`${file}-wal`, 'a');
    const fd = this.fd;
    this.flush = coalesced(() =>
      fd === undefined
        ? Promise.resolve()
        : new Promise<void>((resolve, reject) =>
            fdatasync(fd, (error) => (error ? reject(error) : resolve())),
          ),
    );
  }

  /** Resolves once everything committed before the call is on disk; rejects if the flush failed. */
  sync(): Promise<void> {
    const flushed = this.flush();
    this.last = flushed.catch(() => undefined);
    return flushed;
  }

  /** Waits for the flush under way, then lets go of the WAL file. Call before closing the connection. */
  async close(): Promise<void> {
    await this.last;
    if (this.fd !== undefined && !this.closed) closeSync(this.fd);
    this.closed = true;
  }
}
