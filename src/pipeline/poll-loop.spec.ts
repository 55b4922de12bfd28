import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteQueue } from '../adapters/local/sqlite-queue';
import { Queue, QueueMessage, ReceiveOptions } from '../ports/queue.port';
import { startPollLoop } from './poll-loop';

describe('startPollLoop: telling an empty queue at once (onEmpty)', () => {
  let dir: string;
  let queue: SqliteQueue;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'poll-loop-'));
    queue = new SqliteQueue({ file: join(dir, 'queues.sqlite'), name: 'requests' });
  });
  afterEach(async () => {
    await queue.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** What the loop did, in order, and a way to wait until it has done `n` things. */
  function recorder() {
    const seen: string[] = [];
    const waiting: Array<{ n: number; resolve: () => void }> = [];
    const record = (what: string) => {
      seen.push(what);
      for (const w of waiting.filter((w) => seen.length >= w.n)) w.resolve();
    };
    const until = (n: number) =>
      new Promise<void>((resolve) => (seen.length >= n ? resolve() : waiting.push({ n, resolve })));
    return { seen, record, until };
  }

  /** A handler that records the batch it got, then deletes its messages. */
  const handleAndDelete = (record: (what: string) => void) => async (messages: QueueMessage[]) => {
    record(`handled ${messages.map((m) => m.body).join(',')}`);
    await Promise.all(messages.map((m) => queue.delete(m.receiptHandle)));
  };

  /** The queue, with each receive's wait recorded. */
  function watched(waits: number[]): Queue {
    const receive = queue.receive.bind(queue);
    queue.receive = (options: ReceiveOptions) => {
      waits.push(options.waitTimeMs ?? -1);
      return receive(options);
    };
    return queue;
  }

  it('reports the first empty receive of each dry spell, which does not wait, and long-polls after it', async () => {
    const { seen, record, until } = recorder();
    const waits: number[] = [];
    const loop = startPollLoop({
      queue: watched(waits),
      waitTimeMs: 20_000,
      onEmpty: () => record('empty'),
      handle: handleAndDelete(record),
    });
    try {
      await until(1);
      await queue.send('a');
      // Sent once the loop found the queue empty again, so that the long poll is what takes it.
      await until(3);
      await queue.send('b');
      await until(4);
    } finally {
      await loop.stop();
    }
    expect(seen).toEqual(['empty', 'handled a', 'empty', 'handled b']);
    // No wait on the receive that found the queue empty; the long poll after it took 'a'.
    expect(waits.slice(0, 4)).toEqual([0, 20_000, 0, 20_000]);
  });

  it('waits emptyAfterMs before it counts the queue empty: what comes meanwhile is taken, and no dry spell reported', async () => {
    const { seen, record, until } = recorder();
    const waits: number[] = [];
    const loop = startPollLoop({
      queue: watched(waits),
      waitTimeMs: 20_000,
      emptyAfterMs: 10_000,
      onEmpty: () => record('empty'),
      handle: handleAndDelete(record),
    });
    try {
      await queue.send('a');
      await until(1);
      await queue.send('b');
      await until(2);
    } finally {
      await loop.stop();
    }
    expect(seen).toEqual(['handled a', 'handled b']);
    expect(waits.slice(0, 2)).toEqual([10_000, 10_000]);
  });

  it('waits on every receive and reports nothing without onEmpty', async () => {
    const { seen, record, until } = recorder();
    const waits: number[] = [];
    const loop = startPollLoop({
      queue: watched(waits),
      waitTimeMs: 20_000,
      handle: async (messages) => record(`handled ${messages.map((m) => m.body).join(',')}`),
    });
    try {
      await queue.send('a');
      await until(1);
    } finally {
      await loop.stop();
    }
    expect(seen).toEqual(['handled a']);
    expect(waits.every((wait) => wait === 20_000)).toBe(true);
  });
});
