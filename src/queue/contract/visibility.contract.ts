import { eventually, receiveOne, stopwatch } from './contract-helpers';
import { Subject } from './queue-under-test';

/** Visibility timeouts: hiding, redelivery, extension and release. */
export function describeVisibility(subject: Subject): void {
  describe('visibility timeout', () => {
    it('hides a received message for its timeout, then redelivers it with receiveCount 2 and a new handle', async () => {
      const { queue } = subject();
      await queue.send('retry me');
      const elapsed = stopwatch();

      const first = await receiveOne(queue, { visibilityTimeoutMs: 1000 });
      const whileHidden = await queue.receive();
      const second = await receiveOne(queue);

      expect(whileHidden).toEqual([]);
      expect(second).toMatchObject({ id: first.id, body: 'retry me', receiveCount: 2 });
      expect(second.receiptHandle).not.toBe(first.receiptHandle);
      expect(elapsed()).toBeGreaterThanOrEqual(950);
    });

    it("hides a message for the queue's default timeout when a receive names none", async () => {
      const { queue, settings } = subject();
      expect(settings.visibilityTimeoutMs).toBeGreaterThan(5000);
      await queue.send('default timeout');

      await receiveOne(queue);

      expect(await queue.receive({ waitTimeMs: 2000 })).toEqual([]);
      await eventually(
        () => queue.approximateCounts(),
        (counts) => counts.inFlight === 1,
      );
    });

    it('changeVisibility extends the invisibility of an in-flight message', async () => {
      const { queue } = subject();
      await queue.send('long job');
      const message = await receiveOne(queue, { visibilityTimeoutMs: 1000 });

      await queue.changeVisibility(message.receiptHandle, 30_000);

      // Without the extension it would be back after 1 s.
      expect(await queue.receive({ waitTimeMs: 2500 })).toEqual([]);
    });

    it('changeVisibility to 0 makes an in-flight message visible at once', async () => {
      const { queue } = subject();
      await queue.send('give back');
      const message = await receiveOne(queue, { visibilityTimeoutMs: 30_000 });
      const elapsed = stopwatch();

      await queue.changeVisibility(message.receiptHandle, 0);
      const again = await receiveOne(queue, {}, 5000);

      expect(again).toMatchObject({ id: message.id, receiveCount: 2 });
      expect(elapsed()).toBeLessThan(5000);
    });
  });
}
