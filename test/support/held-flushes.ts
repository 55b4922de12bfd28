import fs from 'node:fs';

/**
 * Holds every `fdatasync` this process starts until the test lets it go, to observe what waits
 * for the disk. `release()` lets the held ones run; `restore()` puts the real one back.
 */
export function holdFlushes() {
  const real = fs.fdatasync;
  const held: Array<() => void> = [];
  const spy = jest.spyOn(fs, 'fdatasync').mockImplementation(((fd: number, done: fs.NoParamCallback) => {
    held.push(() => real(fd, done));
  }) as typeof fs.fdatasync);
  return {
    /** How many flushes are waiting. */
    held: () => held.length,
    release: () => held.splice(0).forEach((run) => run()),
    restore: () => {
      held.splice(0).forEach((run) => run());
      spy.mockRestore();
    },
  };
}

/** Lets the event loop turn until `condition` holds, failing after `turns` turns. */
export async function turnUntil(
  condition: () => boolean | Promise<boolean>,
  what: string,
  turns = 1000,
): Promise<void> {
  for (let i = 0; i < turns; i++) {
    if (await condition()) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error(`${what} did not happen within ${turns} turns of the event loop`);
}
