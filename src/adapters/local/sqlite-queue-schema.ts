import Database from 'better-sqlite3';

/** A message row as the queries below return it. */
export interface MessageRow {
  seq: number;
  id: string;
  body: string;
  sent_at: number;
  receive_count: number;
}

// One table holds every named queue of the file. A message is visible when visible_at <= now; it is
// in flight when it has been received (receive_count > 0) and is not visible, delayed when it is
// neither. receipt_handle names the latest delivery only, so a stale handle matches no row.
const SCHEMA = `
  CREATE TABLE IF NOT EXISTS queue_messages (
    seq            INTEGER PRIMARY KEY AUTOINCREMENT,
    queue          TEXT    NOT NULL,
    id             TEXT    NOT NULL UNIQUE,
    body           TEXT    NOT NULL,
    sent_at        INTEGER NOT NULL,
    visible_at     INTEGER NOT NULL,
    receive_count  INTEGER NOT NULL DEFAULT 0,
    receipt_handle TEXT    UNIQUE
  );
  CREATE INDEX IF NOT EXISTS queue_messages_by_visibility ON queue_messages (queue, visible_at, seq);
`;

/**
 * Opens (and creates) a queue file for use by several processes at once: WAL lets readers run
 * beside the one writer, and the busy timeout makes a writer wait for the lock instead of failing.
 * The queue makes the commits it acknowledges durable with a `WalSync` (see `SqliteQueue`).
 */
export function openQueueDatabase(file: string, busyTimeoutMs: number): Database.Database {
  const db = new Database(file);
  try {
    db.pragma(`busy_timeout = ${busyTimeoutMs}`);
    db.pragma('journal_mode = WAL');
    db.transaction(() => db.exec(SCHEMA)).immediate();
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

/** The prepared statements of one queue connection. */
export function prepareQueueStatements(db: Database.Database) {
  return {
    insert: db.prepare<[string, string, string, number, number]>(
      'INSERT INTO queue_messages (queue, id, body, sent_at, visible_at) VALUES (?, ?, ?, ?, ?)',
    ),
    anyVisible: db.prepare<[string, number], { found: 1 }>(
      'SELECT 1 AS found FROM queue_messages WHERE queue = ? AND visible_at <= ? LIMIT 1',
    ),
    visible: db.prepare<[string, number, number], MessageRow>(
      `SELECT seq, id, body, sent_at, receive_count FROM queue_messages
       WHERE queue = ? AND visible_at <= ? ORDER BY visible_at, seq LIMIT ?`,
    ),
    claim: db.prepare<[number, string, number]>(
      'UPDATE queue_messages SET receive_count = receive_count + 1, visible_at = ?, receipt_handle = ? WHERE seq = ?',
    ),
    moveTo: db.prepare<[string, number, number]>(
      'UPDATE queue_messages SET queue = ?, visible_at = ?, receive_count = 0, receipt_handle = NULL WHERE seq = ?',
    ),
    deleteByHandle: db.prepare<[string, string]>(
      'DELETE FROM queue_messages WHERE queue = ? AND receipt_handle = ?',
    ),
    // Given back (a timeout of 0), a message takes its place in line again as of when it was sent,
    // ahead of messages sent after it: a job a dead worker held has waited longest already.
    changeVisibility: db.prepare<{ timeout: number; now: number; queue: string; handle: string }>(
      `UPDATE queue_messages
         SET visible_at = CASE WHEN @timeout = 0 THEN MIN(sent_at, @now) ELSE @now + @timeout END
       WHERE queue = @queue AND receipt_handle = @handle AND visible_at > @now`,
    ),
    counts: db.prepare<
      { queue: string; now: number },
      { visible: number; inFlight: number; delayed: number }
    >(
      `SELECT
         COALESCE(SUM(visible_at <= @now), 0) AS visible,
         COALESCE(SUM(visible_at > @now AND receive_count > 0), 0) AS inFlight,
         COALESCE(SUM(visible_at > @now AND receive_count = 0), 0) AS delayed
       FROM queue_messages WHERE queue = @queue`,
    ),
  };
}

export type QueueStatements = ReturnType<typeof prepareQueueStatements>;
