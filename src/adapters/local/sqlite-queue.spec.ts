import Database from 'better-sqlite3';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../../clock/manual-clock';
import { describeQueueContract } from '../../queue/queue.contract';
import { InvalidReceiptHandleError, QueueBackendError } from '../../queue/queue.errors';
import { SqliteQueue, SqliteQueueOptions } from './sqlite-queue';
import { holdFlushes, turnUntil } from '../../../test/support/held-flushes';

describeQueueContract('SqliteQueue', async (settings) => {
  const dir = mkdtempSync(join(tmpdir(), 'sqlite-queue-contract-'));
  const file = join(dir, 'queues.sqlite');
  const deadLetterQueue = new SqliteQueue({ file, name: 'dead-letter' });
  const queue = new SqliteQueue({
    file,
    name: 'requests',
    visibilityTimeoutMs: settings.visibilityTimeoutMs,
    redrive: { deadLetterQueue: 'dead-letter', maxReceiveCount: settings.maxReceiveCount },
  });
  return {
    queue,
    deadLetterQueue,
    settings,
    cleanup: async () => {
      await queue.close();
      await deadLetterQueue.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

describe('SqliteQueue', () => {
  let dir: string;
  let file: string;
  const opened: SqliteQueue[] = [];
  const open = (options: Partial<SqliteQueueOptions> = {}, clock?: ManualClock) => {
    const queue = new SqliteQueue({ file, name: 'requests', ...options }, clock);
    opened.push(queue);
    return queue;
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sqlite-queue-'));
    file = join(dir, 'nested', 'queues.sqlite');
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((queue) => queue.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('takes visibility from the injected clock: hidden until the timeout, visible from then on', async () => {
    const clock = new ManualClock();
    const queue = open({}, clock);
    await queue.send('job');
    const first = await queue.receive({ visibilityTimeoutMs: 1000 });

    clock.advance(999);
    const justBefore = await queue.receive();
    clock.advance(1);
    const atTimeout = await queue.receive();

    expect(justBefore).toEqual([]);
    expect(atTimeout).toMatchObject([{ id: first[0].id, receiveCount: 2 }]);
  });

  it('ends a long poll when the injected clock passes its wait time, not before', async () => {
    const clock = new ManualClock();
    const queue = open({}, clock);
    let result: unknown;
    const poll = queue.receive({ waitTimeMs: 5000 }).then((messages) => (result = messages));

    clock.advance(4999);
    await new Promise((resolve) => setImmediate(resolve));
    expect(result).toBeUndefined();
    clock.advance(1);

    expect(await poll).toEqual([]);
  });

  it('wakes a long poll on a send in the same process without waiting for a poll', async () => {
    // On a clock that never moves, no poll timer fires: only the wake-up can end the wait.
    const clock = new ManualClock();
    const consumer = open({}, clock);
    const producer = open({}, clock);
    let received: unknown;
    const poll = consumer.receive({ waitTimeMs: 20_000 }).then((messages) => (received = messages));
    await new Promise((resolve) => setImmediate(resolve));
    expect(received).toBeUndefined();

    await producer.send('wake up');

    expect((await poll).map((m) => m.body)).toEqual(['wake up']);
  });

  it('returns exactly min(visible, maxMessages) messages in one receive', async () => {
    const queue = open();
    await queue.sendBatch(Array.from({ length: 7 }, (_, i) => `m${i}`));

    expect(await queue.receive({ maxMessages: 5 })).toHaveLength(5);
    expect(await queue.receive({ maxMessages: 5 })).toHaveLength(2);
  });

  it('delivers each message once per receive even with a visibility timeout of 0', async () => {
    const queue = open();
    await queue.sendBatch(['a', 'b']);

    const messages = await queue.receive({ maxMessages: 10, visibilityTimeoutMs: 0 });

    expect(messages.map((m) => m.body).sort()).toEqual(['a', 'b']);
  });

  it('never deletes a newer delivery with the handle of an earlier one', async () => {
    const queue = open();
    await queue.send('keep me');
    const [first] = await queue.receive({ visibilityTimeoutMs: 0 });
    const [second] = await queue.receive({ visibilityTimeoutMs: 60_000 });

    await queue.delete(first.receiptHandle);

    expect(await queue.approximateCounts()).toEqual({ visible: 0, inFlight: 1, delayed: 0 });
    await queue.changeVisibility(second.receiptHandle, 0);
    expect(await queue.receive()).toMatchObject([{ id: first.id, receiveCount: 3 }]);
  });

  it('puts a message given back (visibility 0) in line as of when it was sent, ahead of later ones', async () => {
    const clock = new ManualClock();
    const queue = open({}, clock);
    const first = await queue.send('held by a worker that died');
    clock.advance(10);
    const [held] = await queue.receive({ maxMessages: 1 });
    await queue.sendBatch(['sent later 1', 'sent later 2']);
    clock.advance(10);

    await queue.changeVisibility(held.receiptHandle, 0);

    expect((await queue.receive({ maxMessages: 3 })).map((m) => m.id)).toEqual([
      first,
      expect.any(String),
      expect.any(String),
    ]);
  });

  it('keeps the queues of one file apart, and refuses a handle of another queue as invalid', async () => {
    const requests = open({ name: 'requests' });
    const responses = open({ name: 'responses' });
    await requests.send('request');
    await responses.send('response');

    const [request] = await requests.receive({ maxMessages: 10 });
    const [response] = await responses.receive({ maxMessages: 10 });

    expect([request.body, response.body]).toEqual(['request', 'response']);
    await expect(responses.delete(request.receiptHandle)).rejects.toBeInstanceOf(InvalidReceiptHandleError);
  });

  it('keeps messages in the file across close and reopen', async () => {
    const before = open();
    const id = await before.send('durable');
    await before.close();

    const after = open();

    expect(await after.receive()).toMatchObject([{ id, body: 'durable' }]);
  });

  it('opens the file in WAL mode, so that other processes read while one writes', async () => {
    open();
    const db = new Database(file, { readonly: true });
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    } finally {
      db.close();
    }
  });

  it('wakes a waiting receive at the commit, and acknowledges the send only once it is flushed to disk', async () => {
    // On a manual clock the receive never polls: only a wake-up can end its wait.
    const clock = new ManualClock();
    const sender = open({}, clock);
    const receiver = open({}, clock);
    const flushes = holdFlushes();
    try {
      let woken = false;
      const received = receiver.receive({ waitTimeMs: 20_000 }).finally(() => {
        woken = true;
      });
      let acknowledged = false;
      const sent = sender.send('job-1').then(() => {
        acknowledged = true;
      });
      await turnUntil(() => flushes.held() === 1 && woken, 'the flush of the send, and the receive woken');
      expect((await received).map((m) => m.body)).toEqual(['job-1']);
      expect(acknowledged).toBe(false);

      flushes.release();
      await sent;
      expect(acknowledged).toBe(true);
    } finally {
      flushes.restore();
    }
  });

  it('acknowledges a delete only once its commit is flushed to disk', async () => {
    const queue = open();
    await queue.send('job-1');
    const [message] = await queue.receive();
    const flushes = holdFlushes();
    try {
      let acknowledged = false;
      const deleted = queue.delete(message.receiptHandle).then(() => {
        acknowledged = true;
      });
      await turnUntil(() => flushes.held() === 1, 'the flush of the delete');
      expect(acknowledged).toBe(false);
      flushes.release();
      await deleted;
    } finally {
      flushes.restore();
    }
  });

  it('wraps a file it cannot open in QueueBackendError naming the queue and the file', () => {
    const notAFile = join(dir, 'a-directory');
    mkdirSync(notAFile);

    expect(() => new SqliteQueue({ file: notAFile, name: 'requests' })).toThrow(QueueBackendError);
    expect(() => new SqliteQueue({ file: notAFile, name: 'requests' })).toThrow(/requests.*a-directory/);
  });

  it('refuses a redrive policy to itself or with a maxReceiveCount outside 1–1000', () => {
    expect(() => open({ redrive: { deadLetterQueue: 'requests', maxReceiveCount: 3 } })).toThrow(RangeError);
    expect(() => open({ redrive: { deadLetterQueue: 'dlq', maxReceiveCount: 0 } })).toThrow(RangeError);
  });
});
