import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteQueue } from '../adapters/local/sqlite-queue';
import { ManualClock } from '../clock/manual-clock';
import { ReceiveOptions } from '../ports/queue.port';
import { fillBatch } from './batch-filler';

/** The embedded queue, returning nothing to its first `misses` single checks, as SQS's sampling may. */
class SamplingQueue extends SqliteQueue {
  checks = 0;
  misses = 0;

  override async receive(options: ReceiveOptions = {}) {
    if (options.waitTimeMs === 0 && this.checks++ < this.misses) return [];
    return super.receive(options);
  }
}

describe('fillBatch: dynamic batching, never waiting on a nearly empty queue', () => {
  let dir: string;
  let clock: ManualClock;
  let queue: SamplingQueue;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'batch-filler-'));
    clock = new ManualClock();
    queue = new SamplingQueue({ file: join(dir, 'queues.db'), name: 'requests' }, clock);
  });
  afterEach(async () => {
    await queue.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const send = (n: number) => queue.sendBatch(Array.from({ length: n }, (_, i) => `job ${i}`));
  const firstOf = (n: number) => queue.receive({ maxMessages: n });
  /** Lets the filler run, moving the clock `stepMs` at a time, until it resolves. */
  async function settled<T>(filling: Promise<T>, stepMs: number): Promise<T> {
    let done = false;
    void filling.then(() => (done = true));
    for (let turn = 0; turn < 1000 && !done; turn++) {
      await new Promise((resolve) => setImmediate(resolve));
      clock.advance(stepMs);
    }
    return filling;
  }

  it('takes the messages one receive left behind, up to the batch size', async () => {
    await send(6);
    const batch = await fillBatch(queue, await firstOf(1), clock, { batchSize: 4, waitMs: 50 });
    expect(batch.map((m) => m.body).sort()).toEqual(['job 0', 'job 1', 'job 2', 'job 3']);
    expect((await queue.approximateCounts()).visible).toBe(2);
  });

  it('goes at once when the queue shows nothing more: the clock never moved, no timer is set', async () => {
    await send(1);
    const batch = await fillBatch(queue, await firstOf(4), clock, { batchSize: 4, waitMs: 50 });
    expect(batch).toHaveLength(1);
    expect(clock.pendingTimers).toBe(0);
  });

  it('waits, while the queue shows more, for a receive that returns them', async () => {
    await send(3);
    queue.misses = 3;
    const filling = fillBatch(queue, await firstOf(1), clock, { batchSize: 4, waitMs: 50 });
    expect(await settled(filling, 5)).toHaveLength(3);
    expect(queue.checks).toBe(4);
  });

  it('waits no longer than BATCH_WAIT_MS', async () => {
    await send(3);
    queue.misses = Infinity;
    const began = clock.now();
    let endedAt = 0;
    const filling = fillBatch(queue, await firstOf(1), clock, { batchSize: 4, waitMs: 20 }).finally(
      () => (endedAt = clock.now()),
    );
    expect(await settled(filling, 5)).toHaveLength(1);
    expect(endedAt - began).toBe(20);
  });

  it('never fills with BATCH_WAIT_MS 0', async () => {
    await send(3);
    expect(await fillBatch(queue, await firstOf(1), clock, { batchSize: 4, waitMs: 0 })).toHaveLength(1);
  });
});
