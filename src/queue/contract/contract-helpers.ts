import { Queue, QueueMessage, ReceiveOptions } from '../../ports/queue.port';

/** How long a contract test waits for something that a real-time backend does eventually. */
export const EVENTUALLY_MS = 15_000;

/** Time measured on the wall clock, which every backend under contract runs on. */
export function stopwatch(): () => number {
  const start = Date.now();
  return () => Date.now() - start;
}

/**
 * Calls `probe` until `accept` holds for its result, then returns that result; fails with the last
 * result once `timeoutMs` has passed. For counts and other eventually consistent reads.
 */
export async function eventually<T>(
  probe: () => Promise<T>,
  accept: (value: T) => boolean,
  timeoutMs = EVENTUALLY_MS,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (accept(value)) return value;
    if (Date.now() >= deadline) {
      throw new Error(`Condition not met within ${timeoutMs} ms; last value: ${JSON.stringify(value)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Long-polls until `count` messages have arrived (a backend may return fewer per call than are
 * visible) or `timeoutMs` has passed; returns what arrived, possibly more than `count`.
 */
export async function receiveAtLeast(
  queue: Queue,
  count: number,
  options: Omit<ReceiveOptions, 'waitTimeMs'> = {},
  timeoutMs = EVENTUALLY_MS,
): Promise<QueueMessage[]> {
  const deadline = Date.now() + timeoutMs;
  const received: QueueMessage[] = [];
  while (received.length < count) {
    const remaining = deadline - Date.now();
    if (remaining <= 0) break;
    const waitTimeMs = Math.min(1000, Math.max(0, Math.floor(remaining)));
    received.push(...(await queue.receive({ maxMessages: 10, ...options, waitTimeMs })));
  }
  return received;
}

/** Long-polls for exactly one message and fails if none arrives within `timeoutMs`. */
export async function receiveOne(
  queue: Queue,
  options: Omit<ReceiveOptions, 'waitTimeMs' | 'maxMessages'> = {},
  timeoutMs = EVENTUALLY_MS,
): Promise<QueueMessage> {
  const [message, ...more] = await receiveAtLeast(queue, 1, { ...options, maxMessages: 1 }, timeoutMs);
  if (!message) throw new Error(`No message arrived on queue '${queue.name}' within ${timeoutMs} ms`);
  if (more.length > 0) throw new Error(`Asked for one message, got ${more.length + 1}`);
  return message;
}

/** Lets wall-clock time pass. Only for tests about time itself, never to wait for a result. */
export function elapse(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Tracks whether a promise has settled, to show that a long poll was still waiting. */
export function track<T>(promise: Promise<T>): { promise: Promise<T>; settled: () => boolean } {
  let settled = false;
  const tracked = promise.finally(() => (settled = true));
  return { promise: tracked, settled: () => settled };
}
