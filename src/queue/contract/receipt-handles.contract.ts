import { InvalidReceiptHandleError, ReceiptHandleExpiredError } from '../queue.errors';
import { elapse, receiveAtLeast, receiveOne } from './contract-helpers';
import { Subject } from './queue-under-test';

/** What each operation does with a handle that is current, no longer current, or never issued. */
export function describeReceiptHandles(subject: Subject): void {
  describe('receipt handles', () => {
    /** Receives a message twice; the first handle is then no longer current. */
    async function receivedTwice() {
      const { queue } = subject();
      await queue.send('twice');
      const first = await receiveOne(queue, { visibilityTimeoutMs: 30_000 });
      await queue.changeVisibility(first.receiptHandle, 0);
      const second = await receiveOne(queue, { visibilityTimeoutMs: 30_000 });
      expect(second.id).toBe(first.id);
      return { first, second };
    }

    it('delete with a handle that is no longer current resolves without error', async () => {
      const { queue } = subject();
      const { first } = await receivedTwice();

      await expect(queue.delete(first.receiptHandle)).resolves.toBeUndefined();
    });

    it('changeVisibility with the handle of an earlier delivery rejects as expired; the current handle still works', async () => {
      const { queue } = subject();
      const { first, second } = await receivedTwice();

      await expect(queue.changeVisibility(first.receiptHandle, 0)).rejects.toBeInstanceOf(
        ReceiptHandleExpiredError,
      );
      await expect(queue.changeVisibility(second.receiptHandle, 60_000)).resolves.toBeUndefined();
    });

    it('deleting twice with the same handle resolves both times; changeVisibility then rejects as expired', async () => {
      const { queue } = subject();
      await queue.send('once');
      const message = await receiveOne(queue);

      await queue.delete(message.receiptHandle);

      await expect(queue.delete(message.receiptHandle)).resolves.toBeUndefined();
      await expect(queue.changeVisibility(message.receiptHandle, 0)).rejects.toBeInstanceOf(
        ReceiptHandleExpiredError,
      );
    });

    it('changeVisibility after the visibility timeout lapsed rejects as expired', async () => {
      const { queue } = subject();
      await queue.send('too late');
      const message = await receiveOne(queue, { visibilityTimeoutMs: 1000 });

      await elapse(1500);

      await expect(queue.changeVisibility(message.receiptHandle, 30_000)).rejects.toBeInstanceOf(
        ReceiptHandleExpiredError,
      );
    });

    it('refuses a string it never issued as a handle with InvalidReceiptHandleError', async () => {
      const { queue } = subject();
      const bogus = 'not-a-receipt-handle';

      await expect(queue.delete(bogus)).rejects.toBeInstanceOf(InvalidReceiptHandleError);
      await expect(queue.deleteBatch([bogus])).rejects.toBeInstanceOf(InvalidReceiptHandleError);
      await expect(queue.changeVisibility(bogus, 0)).rejects.toBeInstanceOf(InvalidReceiptHandleError);
    });

    it('deleteBatch deletes every message it names', async () => {
      const { queue } = subject();
      await queue.sendBatch(['x', 'y', 'z']);
      const messages = await receiveAtLeast(queue, 3, { visibilityTimeoutMs: 1000 });

      await queue.deleteBatch(messages.map((m) => m.receiptHandle));

      expect(messages).toHaveLength(3);
      expect(await queue.receive({ waitTimeMs: 2500 })).toEqual([]);
      await expect(queue.deleteBatch([])).resolves.toBeUndefined();
    });
  });
}
