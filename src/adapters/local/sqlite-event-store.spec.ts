import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../../clock/manual-clock';
import { describeEventStoreContract } from '../../events/event-store.contract';
import { holdFlushes, turnUntil } from '../../../test/support/held-flushes';
import { openEventLogDatabase, SqliteEventStore } from './sqlite-event-store';

const dirs: string[] = [];
const tempFile = () => {
  const dir = mkdtempSync(join(tmpdir(), 'events-'));
  dirs.push(dir);
  return join(dir, 'events.db');
};
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

describeEventStoreContract('sqlite', { create: async (clock) => new SqliteEventStore(tempFile(), clock) });

describe('SqliteEventStore on disk', () => {
  it('keeps the log in WAL mode', () => {
    const db = openEventLogDatabase(tempFile());
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    } finally {
      db.close();
    }
  });

  it('acknowledges an append, and publishes its events, only once its commit is flushed to disk', async () => {
    const file = tempFile();
    const store = new SqliteEventStore(file, new ManualClock());
    const flushes = holdFlushes();
    try {
      const live: number[] = [];
      const subscription = store.subscribe().subscribe((event) => live.push(event.position));
      let acknowledged = false;
      const append = store.append('job-a', [{ type: 'JobUploaded', data: {} }], 0).then(() => {
        acknowledged = true;
      });
      await turnUntil(() => flushes.held() === 1, 'the flush of the commit');

      expect(await store.lastPosition()).toBe(1);
      expect(acknowledged).toBe(false);
      expect(live).toEqual([]);

      flushes.release();
      await append;
      expect(live).toEqual([1]);
      subscription.unsubscribe();
    } finally {
      flushes.restore();
      await store.close();
    }
  });

  it('shares one flush among the commits made while another flush runs, and keeps their order', async () => {
    const store = new SqliteEventStore(tempFile(), new ManualClock());
    const flushes = holdFlushes();
    try {
      const acknowledged: string[] = [];
      const append = (stream: string) =>
        store.append(stream, [{ type: 'JobUploaded', data: {} }], 0).then(() => acknowledged.push(stream));
      const first = append('job-a');
      await turnUntil(() => flushes.held() === 1, 'the first flush');
      // Two more commits, in two more turns, while the first flush runs.
      const second = append('job-b');
      await new Promise((resolve) => setImmediate(resolve));
      const third = append('job-c');
      await turnUntil(async () => (await store.lastPosition()) === 3, 'the third commit');
      expect(flushes.held()).toBe(1);

      flushes.release();
      await first;
      await turnUntil(() => flushes.held() === 1, 'the shared second flush');
      expect(acknowledged).toEqual(['job-a']);
      flushes.release();
      await Promise.all([second, third]);
      expect(acknowledged).toEqual(['job-a', 'job-b', 'job-c']);
    } finally {
      flushes.restore();
      await store.close();
    }
  });

  it('keeps every event across a close and a reopen of the same file', async () => {
    const file = tempFile();
    const clock = new ManualClock();
    const first = new SqliteEventStore(file, clock);
    await first.append('job-a', [{ type: 'JobUploaded', data: { n: 1 } }], 0);
    await first.close();

    const reopened = new SqliteEventStore(file, clock);
    await reopened.append('job-a', [{ type: 'JobQueued', data: {} }], 1);
    expect((await reopened.readStream('job-a')).map((e) => [e.type, e.version, e.position])).toEqual([
      ['JobUploaded', 1, 1],
      ['JobQueued', 2, 2],
    ]);
    await reopened.close();
  });

  it('lets a second connection on the same file detect a concurrent writer by version conflict', async () => {
    const file = tempFile();
    const clock = new ManualClock();
    const a = new SqliteEventStore(file, clock);
    const b = new SqliteEventStore(file, clock);
    await a.append('controller', [{ type: 'ControllerStarted', data: {} }], 0);

    await expect(b.append('controller', [{ type: 'ControllerStarted', data: {} }], 0)).rejects.toMatchObject({
      code: 'stream_version_conflict',
      actual: 1,
    });
    await Promise.all([a.close(), b.close()]);
  });
});
