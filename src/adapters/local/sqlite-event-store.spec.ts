import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../../clock/manual-clock';
import { describeEventStoreContract } from '../../events/event-store.contract';
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
  it('commits with synchronous=FULL in WAL mode, so that an acknowledged append survives a power cut', () => {
    const db = openEventLogDatabase(tempFile());
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.pragma('synchronous', { simple: true })).toBe(2);
    } finally {
      db.close();
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
