import { QueueMessage } from '../../ports/queue.port';
import { eventually, EVENTUALLY_MS, receiveAtLeast, receiveOne } from './contract-helpers';
import { Subject } from './queue-under-test';

const ids = (messages: QueueMessage[]) => messages.map((m) => m.id).sort();

/** Sending, receiving, deleting, batches, and no loss under concurrent consumers. */
export function describeSendAndReceive(subject: Subject): void {
  describe('send, receive and delete', () => {
    it('delivers a sent message with its id, exact body, sentAt and receiveCount 1', async () => {
      const { queue } = subject();
      const body = JSON.stringify({ text: 'żółw 🐢\n"quoted"\ttab', n: 1 });
      const before = Date.now();

      const id = await queue.send(body);
      const message = await receiveOne(queue);

      expect(message).toEqual({
        id,
        body,
        receiptHandle: expect.any(String),
        receiveCount: 1,
        sentAt: expect.any(Number),
      });
      // Wide bounds: a remote backend stamps sentAt with its own clock.
      expect(Math.abs(message.sentAt - before)).toBeLessThan(60_000);
    });

    it('never delivers a deleted message again, even after its visibility timeout', async () => {
      const { queue } = subject();
      await queue.send('work');
      const message = await receiveOne(queue, { visibilityTimeoutMs: 1000 });

      await queue.delete(message.receiptHandle);

      expect(await queue.receive({ waitTimeMs: 2500 })).toEqual([]);
      await eventually(
        () => queue.approximateCounts(),
        (counts) => counts.visible + counts.inFlight + counts.delayed === 0,
      );
    });

    it('sendBatch returns one id per body, in order, and delivers each body under its id', async () => {
      const { queue } = subject();
      const bodies = Array.from({ length: 10 }, (_, i) => `body-${i}`);

      const sentIds = await queue.sendBatch(bodies);
      const received = await receiveAtLeast(queue, 10);

      expect(new Set(sentIds).size).toBe(10);
      expect(received).toHaveLength(10);
      expect(Object.fromEntries(received.map((m) => [m.id, m.body]))).toEqual(
        Object.fromEntries(sentIds.map((id, i) => [id, bodies[i]])),
      );
    });

    it('sendBatch of no bodies sends nothing and returns no ids', async () => {
      const { queue } = subject();

      expect(await queue.sendBatch([])).toEqual([]);
      expect(await queue.receive({ waitTimeMs: 500 })).toEqual([]);
    });

    it('returns at most maxMessages per receive, never more than 10, and every message once', async () => {
      const { queue } = subject();
      const sent = [...(await queue.sendBatch(Array.from({ length: 10 }, (_, i) => `a${i}`)))];
      sent.push(...(await queue.sendBatch(Array.from({ length: 5 }, (_, i) => `b${i}`))));

      const first = await queue.receive({ maxMessages: 3, waitTimeMs: 1000 });
      const sizes: number[] = [];
      const received = [...first];
      const deadline = Date.now() + EVENTUALLY_MS;
      while (received.length < 15 && Date.now() < deadline) {
        const batch = await queue.receive({ maxMessages: 10, waitTimeMs: 1000 });
        sizes.push(batch.length);
        received.push(...batch);
      }

      expect(first.length).toBeGreaterThanOrEqual(1);
      expect(first.length).toBeLessThanOrEqual(3);
      expect(Math.max(...sizes)).toBeLessThanOrEqual(10);
      expect(ids(received)).toEqual([...sent].sort());
    });

    it('loses and duplicates nothing when four consumers drain 50 messages at once', async () => {
      const { queue } = subject();
      const sent: string[] = [];
      for (let batch = 0; batch < 5; batch++) {
        sent.push(...(await queue.sendBatch(Array.from({ length: 10 }, (_, i) => `m${batch * 10 + i}`))));
      }
      const processed: QueueMessage[] = [];
      const deadline = Date.now() + EVENTUALLY_MS;

      const consume = async () => {
        while (processed.length < sent.length && Date.now() < deadline) {
          const batch = await queue.receive({ maxMessages: 10, waitTimeMs: 500 });
          processed.push(...batch);
          if (batch.length > 0) await queue.deleteBatch(batch.map((m) => m.receiptHandle));
        }
      };
      await Promise.all([consume(), consume(), consume(), consume()]);

      expect(ids(processed)).toEqual([...sent].sort());
    });
  });
}
