import { Clock } from '../ports/clock.port';
import { Queue, QueueMessage } from '../ports/queue.port';

/** How long to pause between tries when the queue shows messages that a receive did not return. */
const RETRY_MS = 5;

/** Options of {@link fillBatch}. */
export interface FillOptions {
  /** The batch size to fill up to (WORKER_BATCH_SIZE). */
  batchSize: number;
  /** How long after the first receive to go on filling (BATCH_WAIT_MS); 0 never waits. */
  waitMs: number;
  /** Visibility of the messages received to fill (default: the queue's). */
  visibilityTimeoutMs?: number;
}

/**
 * Dynamic batching: tops up a batch that one receive left short, for at most `waitMs`, but only
 * while the queue shows more visible messages than the receive took — SQS returns fewer messages
 * than it holds (it samples its servers), and under load more arrive meanwhile. When the queue
 * shows none, the batch goes as it is: a worker never waits on a nearly empty queue, so one
 * image alone is classified at once. The embedded queue's receive takes every visible message up
 * to the batch size, so there a short batch means an empty queue.
 */
export async function fillBatch(
  queue: Queue,
  first: QueueMessage[],
  clock: Clock,
  { batchSize, waitMs, visibilityTimeoutMs }: FillOptions,
): Promise<QueueMessage[]> {
  const batch = [...first];
  const deadline = clock.now() + waitMs;
  while (batch.length < batchSize) {
    const left = deadline - clock.now();
    if (left <= 0) break;
    const { visible } = await queue.approximateCounts();
    if (visible === 0) break;
    // A single check: SQS counts a long poll in whole seconds, longer than any batch should wait.
    const more = await queue.receive({
      maxMessages: batchSize - batch.length,
      waitTimeMs: 0,
      visibilityTimeoutMs,
    });
    batch.push(...more);
    if (more.length === 0)
      await new Promise<void>((resolve) => clock.setTimer(Math.min(left, RETRY_MS), resolve));
  }
  return batch;
}
