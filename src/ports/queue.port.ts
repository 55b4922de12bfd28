/**
 * Limits shared by every backend. They are Amazon SQS's, so that code which works on the local
 * queue also works in the cloud; `src/queue/queue-limits.ts` checks them before any backend is touched.
 */
export const QUEUE_LIMITS = {
  /** Most bodies in one `sendBatch`, handles in one `deleteBatch`, messages in one `receive`. */
  maxBatchSize: 10,
  /** Largest body, in UTF-8 bytes (256 KiB). */
  maxBodyBytes: 256 * 1024,
  /** Longest long poll (20 s). */
  maxWaitTimeMs: 20_000,
  /** Longest visibility timeout (12 h). */
  maxVisibilityTimeoutMs: 12 * 60 * 60 * 1000,
  /** Longest delivery delay (15 min). */
  maxDelayMs: 15 * 60 * 1000,
} as const;

/** Options of {@link Queue.send} and {@link Queue.sendBatch}. */
export interface SendOptions {
  /**
   * Keeps the message hidden for this long after sending. Default: 0. SQS counts whole seconds,
   * so its adapter rounds up.
   */
  delayMs?: number;
}

/** Options of {@link Queue.receive}. */
export interface ReceiveOptions {
  /** Most messages to return, 1–10. Default: 1. A backend may return fewer than are available. */
  maxMessages?: number;
  /**
   * Long poll: when no message is visible, wait up to this long for one, returning as soon as any
   * arrives. 0–20 000 ms. Default: 0, a single check, because a call that blocks should be asked
   * for; poll loops pass their wait. On SQS a single check samples some servers and may miss
   * messages, so consumers should long-poll.
   */
  waitTimeMs?: number;
  /**
   * How long the returned messages stay hidden from other receives, 0 ms–12 h. Default: the
   * queue's visibility timeout (an option of the adapter). SQS rounds up to whole seconds.
   */
  visibilityTimeoutMs?: number;
  /** Ends a long poll early; the call then resolves with no messages. */
  signal?: AbortSignal;
}

/** One delivery of a message. */
export interface QueueMessage {
  /** Assigned by `send`; the same on every delivery, and kept when redriven to the dead-letter queue. */
  id: string;
  /** Exactly the string that was sent (callers put JSON in it). */
  body: string;
  /** Names this delivery only: each receive of the message issues a new one. */
  receiptHandle: string;
  /** How many times the message has been received, this delivery included (1 on the first). */
  receiveCount: number;
  /** When the message was first sent, ms since the epoch, by the backend's clock. */
  sentAt: number;
}

/**
 * Message counts. Approximate: SQS reports them eventually consistently (they may lag by a
 * minute), so they suit scaling decisions, never correctness.
 */
export interface QueueCounts {
  /** Messages that a receive could return now. */
  visible: number;
  /** Received, not deleted, and still within their visibility timeout. */
  inFlight: number;
  /** Sent with a delay that has not passed yet. */
  delayed: number;
}

/**
 * A work queue with at-least-once delivery and SQS semantics, implemented on a local SQLite file
 * and on Amazon SQS. Used as the Nest injection token for the request, response and dead-letter
 * queues.
 *
 * Delivery: a received message is hidden for its visibility timeout; unless it is deleted in that
 * time it becomes visible again and is redelivered with a higher `receiveCount`. Order is not
 * preserved, and a message may be delivered more than once, so consumers must be idempotent.
 * Where the adapter is given a dead-letter queue and a `maxReceiveCount`, a receive that would
 * deliver a message for the (maxReceiveCount + 1)th time moves it to the dead-letter queue instead.
 *
 * Receipt handles: every delivery has its own handle, and only the latest delivery's handle is
 * current. With a handle that is no longer current (the message was deleted, or received again):
 * - `delete` resolves without error. It should not remove the newer delivery: the SQLite adapter
 *   never does, but SQS documents only that the message "might not be deleted", so the port cannot
 *   promise it — another reason for idempotent consumers.
 * - `changeVisibility` rejects with `ReceiptHandleExpiredError`, as it does once the visibility
 *   timeout has lapsed.
 * A string that no backend issued as a handle is refused with `InvalidReceiptHandleError`.
 *
 * Arguments outside {@link QUEUE_LIMITS} are refused with a `RangeError` before the backend is
 * touched. After {@link close}, calls reject with `QueueClosedError`. Backend failures surface as
 * `QueueBackendError`. (The errors live in `src/queue/queue.errors.ts`.)
 */
export abstract class Queue {
  /** The queue's name, for logs and errors. */
  abstract readonly name: string;

  /**
   * Sends one message and returns its id. The body must be 1 character to 256 KiB of text that SQS
   * accepts (no control characters other than tab, LF and CR; no U+FFFE, U+FFFF or lone surrogates).
   */
  abstract send(body: string, options?: SendOptions): Promise<string>;

  /** Sends 0–10 messages in one call and returns their ids, in the order of `bodies`. */
  abstract sendBatch(bodies: readonly string[], options?: SendOptions): Promise<string[]>;

  /**
   * Receives up to `maxMessages` visible messages and hides them for the visibility timeout.
   * Resolves with an empty array when none arrived within `waitTimeMs`, when `signal` aborted, or
   * when the queue was closed meanwhile.
   */
  abstract receive(options?: ReceiveOptions): Promise<QueueMessage[]>;

  /**
   * Deletes the message received with `receiptHandle`. Works even after the visibility timeout
   * lapsed, as long as nobody received the message again. Idempotent; see the class notes on
   * handles that are no longer current.
   */
  abstract delete(receiptHandle: string): Promise<void>;

  /**
   * Deletes 0–10 messages, as {@link delete} does each. If any handle is invalid the call rejects
   * with `InvalidReceiptHandleError`, and the other messages may or may not have been deleted.
   */
  abstract deleteBatch(receiptHandles: readonly string[]): Promise<void>;

  /**
   * Hides an in-flight message for `timeoutMs` from now (0 makes it visible at once), e.g. as a
   * heartbeat while a long job runs. Rejects with `ReceiptHandleExpiredError` when the handle's
   * delivery is no longer in flight.
   */
  abstract changeVisibility(receiptHandle: string, timeoutMs: number): Promise<void>;

  /** Counts the queue's messages; see {@link QueueCounts} on how far to trust them. */
  abstract approximateCounts(): Promise<QueueCounts>;

  /**
   * Releases the backend's resources. Pending long polls resolve with no messages; messages stay
   * in the queue. Idempotent.
   */
  abstract close(): Promise<void>;
}
