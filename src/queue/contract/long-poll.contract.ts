import { elapse, receiveOne, stopwatch, track } from './contract-helpers';
import { Subject } from './queue-under-test';

/** Long polls and delayed delivery. */
export function describeLongPoll(subject: Subject): void {
  describe('long poll', () => {
    it('returns as soon as a message arrives, long before its wait time', async () => {
      const { queue } = subject();
      const elapsed = stopwatch();
      const poll = track(queue.receive({ waitTimeMs: 10_000 }));

      await elapse(300);
      expect(poll.settled()).toBe(false);
      await queue.send('arrived');
      const messages = await poll.promise;

      expect(messages.map((m) => m.body)).toEqual(['arrived']);
      expect(elapsed()).toBeLessThan(5000);
    });

    it('returns no messages once its wait time has passed on an empty queue', async () => {
      const { queue } = subject();
      const elapsed = stopwatch();

      const messages = await queue.receive({ waitTimeMs: 1000 });

      expect(messages).toEqual([]);
      expect(elapsed()).toBeGreaterThanOrEqual(950);
      expect(elapsed()).toBeLessThan(5000);
    });

    it('resolves with no messages soon after its signal aborts', async () => {
      const { queue } = subject();
      const controller = new AbortController();
      const elapsed = stopwatch();
      const poll = track(queue.receive({ waitTimeMs: 10_000, signal: controller.signal }));

      await elapse(200);
      expect(poll.settled()).toBe(false);
      controller.abort();

      expect(await poll.promise).toEqual([]);
      expect(elapsed()).toBeLessThan(5000);
    });

    it('keeps a message sent with a delay hidden until the delay has passed', async () => {
      const { queue } = subject();
      const elapsed = stopwatch();

      await queue.send('later', { delayMs: 1000 });
      const early = await queue.receive();
      const message = await receiveOne(queue);

      expect(early).toEqual([]);
      expect(message.body).toBe('later');
      expect(elapsed()).toBeGreaterThanOrEqual(950);
    });
  });
}
