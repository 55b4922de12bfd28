import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataDirInUseError, DataDirLock } from './data-dir-lock';

const ROOT = join(__dirname, '..', '..', '..');

/** A process that takes the lock on `file` and, with `hold`, keeps it; its first line of output. */
async function lockIn(file: string, mode: 'hold' | 'try'): Promise<{ process: ChildProcess; said: string }> {
  const child = spawn(
    process.execPath,
    [
      '--require',
      join(ROOT, 'test/fixtures/queue-swc-register.js'),
      join(ROOT, 'test/fixtures/data-dir-lock-holder.ts'),
      file,
      mode,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const [line] = (await once(child.stdout!, 'data')) as [Buffer];
  return { process: child, said: line.toString().trim() };
}

describe('DataDirLock: one control plane per data folder', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'data-dir-lock-'));
    file = join(dir, 'control-plane.lock');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses a second holder in the same process until the first releases it', () => {
    const first = DataDirLock.acquire(file);
    expect(() => DataDirLock.acquire(file)).toThrow(DataDirInUseError);
    first.release();
    DataDirLock.acquire(file).release();
  });

  // In other processes, as a second control plane would be: this one's SQLite keeps per-file lock
  // state that a file of an earlier test, deleted since, can share with a new one by its inode.
  it('refuses while another process holds it, and is free once that process is killed', async () => {
    const holder = await lockIn(file, 'hold');
    expect(holder.said).toBe('locked');
    expect((await lockIn(file, 'try')).said).toMatch(/^Another control plane is running on this data folder/);
    holder.process.kill('SIGKILL');
    await once(holder.process, 'exit');
    expect((await lockIn(file, 'try')).said).toBe('locked');
  });
});
