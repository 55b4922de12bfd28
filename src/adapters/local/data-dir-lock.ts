import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

/** Raised when another control plane holds the data folder. */
export class DataDirInUseError extends Error {
  constructor(readonly file: string) {
    super(
      `Another control plane is running on this data folder (${dirname(file)}): one log has one writer. ` +
        'Stop it, or give this one another DATA_DIR.',
    );
    this.name = 'DataDirInUseError';
  }
}

/**
 * Keeps a second control plane off a data folder, whose event log must have one writer: it holds
 * an exclusive SQLite lock on a file of its own for as long as it runs. The operating system
 * drops the lock when the process ends, however it ends, so a killed control plane leaves no
 * stale lock behind. Readers of the log (tools, tests, workers) take no lock.
 */
export class DataDirLock {
  private constructor(private readonly db: Database.Database) {}

  /**
   * Takes the lock on `file` (created, with its folder, if missing).
   * @throws DataDirInUseError when another process, or another lock in this one, holds it.
   */
  static acquire(file: string): DataDirLock {
    mkdirSync(dirname(file), { recursive: true });
    const db = new Database(file, { timeout: 0 });
    try {
      db.pragma('locking_mode = EXCLUSIVE');
      // The first write takes the exclusive lock; in this mode it is kept until the connection closes.
      db.exec(
        'CREATE TABLE IF NOT EXISTS holder (pid INTEGER NOT NULL); BEGIN EXCLUSIVE; DELETE FROM holder;',
      );
      db.prepare('INSERT INTO holder (pid) VALUES (?)').run(process.pid);
      db.exec('COMMIT');
    } catch (error) {
      db.close();
      if ((error as { code?: string }).code === 'SQLITE_BUSY') throw new DataDirInUseError(file);
      throw error;
    }
    return new DataDirLock(db);
  }

  /** Lets another control plane take the folder. */
  release(): void {
    if (this.db.open) this.db.close();
  }
}
