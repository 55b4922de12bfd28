import { Logger } from '@nestjs/common';
import { Queue, QueueMessage } from '../ports/queue.port';

/** Options of {@link startPollLoop}. */
export interface PollLoopOptions {
  queue: Queue;
  /** Handles one received batch. A throw is logged; the loop goes on after `errorBackoffMs`. */
  handle(messages: QueueMessage[]): Promise<void>;
  /** Messages per receive, 1–10 (default 10). */
  maxMessages?: number;
  /** Long-poll wait per receive (default 1 000 ms); also bounds how long `stop()` waits for a poll. */
  waitTimeMs?: number;
  /** Visibility of received messages (default: the queue's). */
  visibilityTimeoutMs?: number;
  /** Pause after a failed receive or handle (default 1 000 ms). */
  errorBackoffMs?: number;
  /** Asked before each receive; when false, the loop waits `waitTimeMs` and asks again (default: always ready). */
  ready?: () => boolean;
  /**
   * Called when the queue is found empty, once per dry spell: the loop's first receive, and the
   * first after each handled batch, wait only `emptyAfterMs`, and this is called when one returns
   * nothing (a worker reports that it has nothing to do the moment it has not). Default: none,
   * and every receive waits `waitTimeMs`.
   */
  onEmpty?: () => void;
  /**
   * How long those receives wait before the queue counts as empty (default 0: not at all). A
   * client sending one job at a time gives the worker its next a few ms after its last: a short
   * wait spares the report of a dry spell that was none.
   */
  emptyAfterMs?: number;
  logger?: Logger;
}

export interface PollLoop {
  /** Takes no new batch, lets the batch in hand finish, and resolves when the loop has ended. */
  stop(): Promise<void>;
}

/**
 * Receives and handles batches until stopped. No error ends it: a failed receive or handler is
 * logged and retried after a pause (the messages come back after their visibility timeout).
 */
export function startPollLoop(options: PollLoopOptions): PollLoop {
  const {
    queue,
    handle,
    maxMessages = 10,
    waitTimeMs = 1000,
    errorBackoffMs = 1000,
    ready = () => true,
    emptyAfterMs = 0,
  } = options;
  const logger = options.logger ?? new Logger(`PollLoop:${queue.name}`);
  const abort = new AbortController();
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      abort.signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
    });

  const { onEmpty } = options;
  // Whether the next receive should tell an empty queue at once (see onEmpty).
  let checkEmpty = onEmpty !== undefined;
  const done = (async () => {
    while (!abort.signal.aborted) {
      try {
        if (!ready()) {
          await pause(Math.min(waitTimeMs, 100));
          continue;
        }
        const messages = await queue.receive({
          maxMessages,
          waitTimeMs: checkEmpty ? emptyAfterMs : waitTimeMs,
          visibilityTimeoutMs: options.visibilityTimeoutMs,
          signal: abort.signal,
        });
        if (messages.length === 0 && checkEmpty) {
          checkEmpty = false;
          onEmpty!();
        }
        if (messages.length > 0) {
          await handle(messages);
          checkEmpty = onEmpty !== undefined;
        }
      } catch (error) {
        if (abort.signal.aborted) break;
        logger.error(`Poll of ${queue.name} failed: ${(error as Error).message}`);
        await pause(errorBackoffMs);
      }
    }
  })();

  return {
    stop: async () => {
      abort.abort();
      await done;
    },
  };
}
