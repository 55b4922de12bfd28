import { coalesced } from './coalesced';

/** A run that ends when the test says so, counting its starts. */
function controlledRun() {
  const ends: Array<{ resolve(): void; reject(error: Error): void }> = [];
  const run = () =>
    new Promise<void>((resolve, reject) => {
      ends.push({ resolve, reject });
    });
  return { run, ends, started: () => ends.length };
}

/** Lets every settled promise's callbacks run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('coalesced', () => {
  it('starts a run at once when none is under way', async () => {
    const { run, ends, started } = controlledRun();
    const flush = coalesced(run);
    let done = false;
    void flush().then(() => (done = true));
    expect(started()).toBe(1);
    await settle();
    expect(done).toBe(false);
    ends[0].resolve();
    await settle();
    expect(done).toBe(true);
  });

  it('makes the calls during a run wait for one more run, which they share', async () => {
    const { run, ends, started } = controlledRun();
    const flush = coalesced(run);
    const done: string[] = [];
    void flush().then(() => done.push('first'));
    void flush().then(() => done.push('second'));
    void flush().then(() => done.push('third'));
    expect(started()).toBe(1);

    ends[0].resolve();
    await settle();
    // The first run began before the second and third calls, so it cannot cover them.
    expect(done).toEqual(['first']);
    expect(started()).toBe(2);

    ends[1].resolve();
    await settle();
    expect(done).toEqual(['first', 'second', 'third']);
    expect(started()).toBe(2);
  });

  it('rejects the calls a failed run covers, and runs again for the next call', async () => {
    const { run, ends, started } = controlledRun();
    const flush = coalesced(run);
    const first = flush();
    const second = flush();
    ends[0].reject(new Error('EIO'));
    await expect(first).rejects.toThrow('EIO');
    await settle();
    expect(started()).toBe(2);
    ends[1].resolve();
    await expect(second).resolves.toBeUndefined();
  });

  it('turns a run that throws at once into a rejection', async () => {
    const flush = coalesced(() => {
      throw new Error('EBADF');
    });
    await expect(flush()).rejects.toThrow('EBADF');
  });

  it('says when it is idle: the last run ended and no call waits', async () => {
    const { run, ends } = controlledRun();
    const onIdle = jest.fn();
    const flush = coalesced(run, onIdle);
    void flush();
    void flush();
    ends[0].resolve();
    await settle();
    expect(onIdle).not.toHaveBeenCalled();
    ends[1].resolve();
    await settle();
    expect(onIdle).toHaveBeenCalledTimes(1);
  });
});
