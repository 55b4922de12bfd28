import { QUEUE_LIMITS } from '../../ports/queue.port';
import { QueueClosedError } from '../queue.errors';
import { elapse, receiveOne, stopwatch, track } from './contract-helpers';
import { Subject } from './queue-under-test';

/** The port's limits (SQS's) and the queue's lifecycle. */
export function describeLimitsAndClose(subject: Subject): void {
  describe('limits', () => {
    it('refuses bodies that SQS would refuse with a RangeError, sending none of a batch', async () => {
      const { queue } = subject();
      const tooLarge = 'a'.repeat(QUEUE_LIMITS.maxBodyBytes + 1);

      for (const body of ['', tooLarge, 'nul \u0000', 'bom \uFFFF', 'lone \uD800 surrogate']) {
        await expect(queue.send(body)).rejects.toBeInstanceOf(RangeError);
      }
      await expect(queue.sendBatch(['fine', ''])).rejects.toBeInstanceOf(RangeError);

      expect(await queue.receive({ waitTimeMs: 1000 })).toEqual([]);
    });

    it('accepts a body of exactly 256 KiB and returns it intact', async () => {
      const { queue } = subject();
      const body = 'é'.repeat(QUEUE_LIMITS.maxBodyBytes / 2);

      await queue.send(body);

      expect((await receiveOne(queue)).body).toBe(body);
    });

    it('refuses batches over 10 and receive, delay and visibility options outside the limits with a RangeError', async () => {
      const { queue } = subject();
      const eleven = Array.from({ length: 11 }, (_, i) => `m${i}`);

      await expect(queue.sendBatch(eleven)).rejects.toBeInstanceOf(RangeError);
      await expect(queue.deleteBatch(eleven)).rejects.toBeInstanceOf(RangeError);
      for (const options of [
        { maxMessages: 0 },
        { maxMessages: 11 },
        { waitTimeMs: -1 },
        { waitTimeMs: QUEUE_LIMITS.maxWaitTimeMs + 1 },
        { visibilityTimeoutMs: -1 },
        { visibilityTimeoutMs: QUEUE_LIMITS.maxVisibilityTimeoutMs + 1 },
      ]) {
        await expect(queue.receive(options)).rejects.toBeInstanceOf(RangeError);
      }
      await expect(queue.send('x', { delayMs: QUEUE_LIMITS.maxDelayMs + 1 })).rejects.toBeInstanceOf(
        RangeError,
      );
      await expect(queue.changeVisibility('any', -1)).rejects.toBeInstanceOf(RangeError);
    });
  });

  describe('close', () => {
    it('resolves a pending long poll with no messages, then refuses calls with QueueClosedError', async () => {
      const { queue } = subject();
      const elapsed = stopwatch();
      const poll = track(queue.receive({ waitTimeMs: 10_000 }));
      await elapse(200);
      expect(poll.settled()).toBe(false);

      await queue.close();

      expect(await poll.promise).toEqual([]);
      expect(elapsed()).toBeLessThan(5000);
      await expect(queue.send('after close')).rejects.toBeInstanceOf(QueueClosedError);
      await expect(queue.receive()).rejects.toBeInstanceOf(QueueClosedError);
      await expect(queue.close()).resolves.toBeUndefined();
    });
  });
}
