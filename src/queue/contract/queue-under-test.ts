import { Queue } from '../../ports/queue.port';

/** How the contract wants the queue under test configured. */
export interface QueueContractSettings {
  /** The queue's default visibility timeout (long enough that no test sees it lapse). */
  visibilityTimeoutMs: number;
  /** Redrive to the dead-letter queue after this many deliveries. */
  maxReceiveCount: number;
}

/** A fresh, empty queue with its dead-letter queue, as one contract test uses them. */
export interface QueueUnderTest {
  queue: Queue;
  deadLetterQueue: Queue;
  settings: QueueContractSettings;
  /** Closes both queues and removes what the fixture created. Must tolerate queues already closed. */
  cleanup(): Promise<void>;
}

/** Gives the current test's queues. */
export type Subject = () => QueueUnderTest;
