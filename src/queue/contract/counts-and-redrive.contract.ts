import { eventually, receiveOne } from './contract-helpers';
import { Subject } from './queue-under-test';

/** Approximate counts and redrive to the dead-letter queue. */
export function describeCountsAndRedrive(subject: Subject): void {
  describe('approximate counts', () => {
    it('reports visible, in-flight and delayed messages', async () => {
      const { queue } = subject();
      expect(await queue.approximateCounts()).toEqual({ visible: 0, inFlight: 0, delayed: 0 });

      await queue.sendBatch(['a', 'b', 'c']);
      await queue.send('later', { delayMs: 60_000 });
      await receiveOne(queue);

      await eventually(
        () => queue.approximateCounts(),
        (counts) => counts.visible === 2 && counts.inFlight === 1 && counts.delayed === 1,
      );
    });
  });

  describe('dead-letter redrive', () => {
    it('moves a message received maxReceiveCount times to the dead-letter queue, keeping its id and body', async () => {
      const { queue, deadLetterQueue, settings } = subject();
      const id = await queue.send('poison');
      for (let attempt = 1; attempt <= settings.maxReceiveCount; attempt++) {
        const message = await receiveOne(queue);
        expect(message.receiveCount).toBe(attempt);
        await queue.changeVisibility(message.receiptHandle, 0);
      }

      const afterLastAttempt = await queue.receive({ waitTimeMs: 1000 });
      const dead = await receiveOne(deadLetterQueue);

      expect(afterLastAttempt).toEqual([]);
      expect(dead).toMatchObject({ id, body: 'poison' });
      await eventually(
        () => queue.approximateCounts(),
        (counts) => counts.visible + counts.inFlight + counts.delayed === 0,
      );
    });

    it('never moves a message deleted on its last allowed delivery', async () => {
      const { queue, deadLetterQueue, settings } = subject();
      await queue.send('made it');
      for (let attempt = 1; attempt < settings.maxReceiveCount; attempt++) {
        await queue.changeVisibility((await receiveOne(queue)).receiptHandle, 0);
      }
      const last = await receiveOne(queue);

      await queue.delete(last.receiptHandle);

      expect(last.receiveCount).toBe(settings.maxReceiveCount);
      expect(await queue.receive({ waitTimeMs: 500 })).toEqual([]);
      expect(await deadLetterQueue.receive({ waitTimeMs: 1000 })).toEqual([]);
    });
  });
}
