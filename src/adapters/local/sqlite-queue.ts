import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { SystemClock } from '../../clock/system-clock';
import { ServiceError } from '../../common/errors';
import { Clock } from '../../ports/clock.port';
import { Queue, QueueCounts, QueueMessage, ReceiveOptions, SendOptions } from '../../ports/queue.port';
import {
  checkBatchSize,
  checkSend,
  checkVisibilityTimeout,
  resolveReceiveOptions,
} from '../../queue/queue-limits';
import {
  InvalidReceiptHandleError,
  QueueBackendError,
  QueueClosedError,
  ReceiptHandleExpiredError,
} from '../../queue/queue.errors';
import { isReceiptHandleOf, newReceiptHandle } from './sqlite-queue-handles';
import { openQueueDatabase, prepareQueueStatements, QueueStatements } from './sqlite-queue-schema';
import { WalSync } from './wal-sync';
import { onQueueWake, ringDoorbell, wakeKey, wakeQueue, watchDoorbell } from './sqlite-queue-wakeups';

/** Where a queue sends the messages that it has delivered too often. */
export interface RedrivePolicy {
  /** Name of the dead-letter queue, in the same file. */
  deadLetterQueue: string;
  /** Deliveries allowed before the next receive moves the message to the dead-letter queue (1–1000). */
  maxReceiveCount: number;
}

/** Options of {@link SqliteQueue}. Every process that opens the same queue must pass the same ones. */
export interface SqliteQueueOptions {
  /** Path of the SQLite file shared by the processes; created, with its folder, if missing. */
  file: string;
  /** Name of the queue; one file holds any number of queues (request, response, dead-letter). */
  name: string;
  /** Visibility timeout of a receive that names none. Default: 30 000 ms, as on SQS. */
  visibilityTimeoutMs?: number;
  /** Dead-letter redrive. Default: none (messages are redelivered forever). */
  redrive?: RedrivePolicy;
  /**
   * A long poll notices messages sent by other processes when they ring the queue's doorbell (a
   * file beside the database, watched), and, should that not come, by checking the file, first
   * after 10 ms and then at doubling intervals up to this one. Sends in the same process wake it
   * at once.
   * Default: 100 ms.
   */
  pollIntervalMs?: number;
  /** How long a call waits for another process's write lock before failing. Default: 5 000 ms. */
  busyTimeoutMs?: number;
}

const FIRST_POLL_INTERVAL_MS = 10;

/** A send waiting for its turn's commit. */
interface PendingSend {
  bodies: readonly string[];
  delayMs: number;
  resolve(ids: string[]): void;
  reject(error: unknown): void;
}

/**
 * A {@link Queue} in a SQLite file that several processes share. A receive is one IMMEDIATE
 * transaction, so two processes never claim the same delivery. Calls block the event loop for the
 * duration of one short transaction (or up to `busyTimeoutMs` while another process holds the lock).
 * Sends and deletes resolve once their commit is on disk, flushed off the event loop by a
 * {@link WalSync}, so a send the event log then records as done (`JobQueued`) survives a power
 * cut; receives and visibility changes are not waited for, since losing one only delivers a
 * message again, sooner or later.
 * Times come from the injected {@link Clock}, so visibility and long polls follow a ManualClock in tests.
 */
export class SqliteQueue extends Queue {
  readonly name: string;
  private readonly db: Database.Database;
  private readonly wal: WalSync;
  private readonly statements: QueueStatements;
  private readonly visibilityTimeoutMs: number;
  private readonly pollIntervalMs: number;
  private readonly redrive?: RedrivePolicy;
  private readonly wakeKey: string;
  private readonly wakeWaiters = new Set<() => void>();
  private unwatchDoorbell?: () => void;
  private pendingSends: PendingSend[] = [];
  private readonly file: string;
  private closed = false;

  constructor(
    options: SqliteQueueOptions,
    private readonly clock: Clock = new SystemClock(),
  ) {
    super();
    this.name = options.name;
    this.file = options.file;
    this.visibilityTimeoutMs = options.visibilityTimeoutMs ?? 30_000;
    this.pollIntervalMs = options.pollIntervalMs ?? 100;
    this.redrive = options.redrive;
    checkOptions(options, this.visibilityTimeoutMs, this.pollIntervalMs);
    this.wakeKey = wakeKey(options.file, this.name);
    try {
      mkdirSync(dirname(options.file), { recursive: true });
      this.db = openQueueDatabase(options.file, options.busyTimeoutMs ?? 5000);
      this.wal = new WalSync(this.db, options.file);
      this.statements = prepareQueueStatements(this.db);
      this.unwatchDoorbell = watchDoorbell(options.file, this.name);
    } catch (error) {
      throw new QueueBackendError(this.name, `opening ${options.file}`, { cause: error });
    }
  }

  async send(body: string, options?: SendOptions): Promise<string> {
    const [id] = await this.sendBatch([body], options);
    return id;
  }

  /**
   * Sends made in the same turn of the event loop are committed together, in one transaction, in
   * the order they were made (group commit, as the event log does it): one fsync, and one wake-up
   * of the consumers, which then find the messages together and can take them as a batch.
   */
  async sendBatch(bodies: readonly string[], options?: SendOptions): Promise<string[]> {
    const delayMs = checkSend(bodies, options);
    this.assertOpen();
    return new Promise((resolve, reject) => {
      if (this.pendingSends.length === 0) setImmediate(() => this.commitSends());
      this.pendingSends.push({ bodies, delayMs, resolve, reject });
    });
  }

  private commitSends(): void {
    const batch = this.pendingSends;
    this.pendingSends = [];
    let ids: string[][];
    try {
      if (this.closed) throw new QueueClosedError(this.name);
      ids = this.guard('send', () =>
        this.db
          .transaction(() => {
            const now = this.clock.now();
            return batch.map(({ bodies, delayMs }) =>
              bodies.map((body) => {
                const id = randomUUID();
                this.statements.insert.run(this.name, id, body, now, now + delayMs);
                return id;
              }),
            );
          })
          .immediate(),
      );
    } catch (error) {
      batch.forEach((send) => send.reject(error));
      return;
    }
    // Consumers are woken at the commit, while the flush runs (a poll would find the messages then
    // too): what a consumer makes durable goes through this file's log after the send, so it cannot
    // outlive the send (the worker's reports), or is harmless when repeated (an output written
    // again, a duplicate result that the job's machine ignores). The sender hears only once the
    // messages are on disk.
    if (batch.some(({ bodies, delayMs }) => delayMs === 0 && bodies.length > 0)) this.wake(this.name);
    this.durable('send').then(
      () => batch.forEach((send, i) => send.resolve(ids[i])),
      (error: unknown) => batch.forEach((send) => send.reject(error)),
    );
  }

  async receive(options: ReceiveOptions = {}): Promise<QueueMessage[]> {
    const { maxMessages, waitTimeMs, visibilityTimeoutMs, signal } = resolveReceiveOptions(
      options,
      this.visibilityTimeoutMs,
    );
    this.assertOpen();
    const deadline = this.clock.now() + waitTimeMs;
    let intervalMs = FIRST_POLL_INTERVAL_MS;
    for (;;) {
      if (this.closed || signal?.aborted) return [];
      const messages = this.receiveNow(maxMessages, visibilityTimeoutMs);
      const remainingMs = deadline - this.clock.now();
      if (messages.length > 0 || remainingMs <= 0) return messages;
      await this.waitForWake(Math.min(intervalMs, remainingMs), signal);
      intervalMs = Math.min(intervalMs * 2, this.pollIntervalMs);
    }
  }

  async delete(receiptHandle: string): Promise<void> {
    await this.deleteBatch([receiptHandle]);
  }

  async deleteBatch(receiptHandles: readonly string[]): Promise<void> {
    checkBatchSize('receipt handles', receiptHandles.length);
    receiptHandles.forEach((handle) => this.checkHandle(handle));
    this.guard('delete', () =>
      this.db
        .transaction(() =>
          receiptHandles.forEach((handle) => this.statements.deleteByHandle.run(this.name, handle)),
        )
        .immediate(),
    );
    await this.durable('delete');
  }

  async changeVisibility(receiptHandle: string, timeoutMs: number): Promise<void> {
    checkVisibilityTimeout(timeoutMs);
    this.checkHandle(receiptHandle);
    const now = this.clock.now();
    const { changes } = this.guard('changeVisibility', () =>
      this.statements.changeVisibility.run({
        timeout: timeoutMs,
        now,
        queue: this.name,
        handle: receiptHandle,
      }),
    );
    if (changes === 0) throw new ReceiptHandleExpiredError(this.name, receiptHandle);
    if (timeoutMs === 0) this.wake(this.name);
  }

  async approximateCounts(): Promise<QueueCounts> {
    const row = this.guard('count', () =>
      this.statements.counts.get({ queue: this.name, now: this.clock.now() }),
    );
    return { visible: row?.visible ?? 0, inFlight: row?.inFlight ?? 0, delayed: row?.delayed ?? 0 };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    [...this.wakeWaiters].forEach((wake) => wake());
    this.unwatchDoorbell?.();
    await this.wal.close();
    this.db.close();
  }

  /** Claims up to `maxMessages` visible messages, redriving those delivered too often. */
  private receiveNow(maxMessages: number, visibilityTimeoutMs: number): QueueMessage[] {
    // A plain read first, so that idle polls never take the file's write lock.
    const anyVisible = this.guard('receive', () =>
      this.statements.anyVisible.get(this.name, this.clock.now()),
    );
    if (!anyVisible) return [];
    const { delivered, redriven } = this.guard('receive', () =>
      this.db.transaction(() => this.claimVisible(maxMessages, visibilityTimeoutMs)).immediate(),
    );
    if (redriven > 0 && this.redrive) this.wake(this.redrive.deadLetterQueue);
    return delivered;
  }

  private claimVisible(maxMessages: number, visibilityTimeoutMs: number) {
    const now = this.clock.now();
    const delivered: QueueMessage[] = [];
    const seen = new Set<number>();
    let redriven = 0;
    while (delivered.length < maxMessages) {
      const wanted = maxMessages - delivered.length;
      // With a visibility timeout of 0 a claimed row stays visible: over-fetch and skip rows seen.
      const rows = this.statements.visible
        .all(this.name, now, wanted + seen.size)
        .filter((row) => !seen.has(row.seq))
        .slice(0, wanted);
      if (rows.length === 0) break;
      for (const row of rows) {
        seen.add(row.seq);
        if (this.redrive && row.receive_count >= this.redrive.maxReceiveCount) {
          this.statements.moveTo.run(this.redrive.deadLetterQueue, now, row.seq);
          redriven++;
          continue;
        }
        const receiptHandle = newReceiptHandle(this.name);
        this.statements.claim.run(now + visibilityTimeoutMs, receiptHandle, row.seq);
        delivered.push({
          id: row.id,
          body: row.body,
          receiptHandle,
          receiveCount: row.receive_count + 1,
          sentAt: row.sent_at,
        });
      }
    }
    return { delivered, redriven };
  }

  /** Wakes the long polls on a queue of this file that messages became visible: this process's, then the others'. */
  private wake(queueName: string): void {
    wakeQueue(wakeKey(this.file, queueName));
    ringDoorbell(this.file, queueName);
  }

  /** Resolves after `delayMs`, or earlier on a send in this process or a doorbell, on abort, or on close. */
  private waitForWake(delayMs: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      // SystemClock timers are unref'd; a pending long poll must keep the process alive, as a
      // pending SQS request would.
      const keepAlive = setInterval(() => undefined, 1 << 30);
      let done = false;
      const wake = () => {
        if (done) return;
        done = true;
        timer.cancel();
        unsubscribe();
        this.wakeWaiters.delete(wake);
        signal?.removeEventListener('abort', wake);
        clearInterval(keepAlive);
        resolve();
      };
      const timer = this.clock.setTimer(delayMs, wake);
      const unsubscribe = onQueueWake(this.wakeKey, wake);
      this.wakeWaiters.add(wake);
      signal?.addEventListener('abort', wake, { once: true });
    });
  }

  private checkHandle(receiptHandle: string): void {
    if (!isReceiptHandleOf(this.name, receiptHandle)) {
      throw new InvalidReceiptHandleError(this.name, receiptHandle);
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new QueueClosedError(this.name);
  }

  /** Resolves once the commits made so far are on disk; a failed flush is the queue's backend error. */
  private async durable(operation: string): Promise<void> {
    try {
      await this.wal.sync();
    } catch (error) {
      throw new QueueBackendError(this.name, `${operation} (flushing the WAL)`, { cause: error });
    }
  }

  /** Runs one backend call, wrapping SQLite's errors with the queue's name and the operation. */
  private guard<T>(operation: string, call: () => T): T {
    this.assertOpen();
    try {
      return call();
    } catch (error) {
      if (error instanceof ServiceError) throw error;
      throw new QueueBackendError(this.name, operation, { cause: error });
    }
  }
}

function checkOptions(
  options: SqliteQueueOptions,
  visibilityTimeoutMs: number,
  pollIntervalMs: number,
): void {
  if (!options.name) throw new RangeError('A queue needs a name');
  checkVisibilityTimeout(visibilityTimeoutMs);
  if (!(pollIntervalMs >= FIRST_POLL_INTERVAL_MS)) {
    throw new RangeError(`pollIntervalMs must be at least ${FIRST_POLL_INTERVAL_MS}, got ${pollIntervalMs}`);
  }
  const redrive = options.redrive;
  if (!redrive) return;
  if (redrive.deadLetterQueue === options.name)
    throw new RangeError('A queue cannot be its own dead-letter queue');
  if (
    !Number.isInteger(redrive.maxReceiveCount) ||
    redrive.maxReceiveCount < 1 ||
    redrive.maxReceiveCount > 1000
  ) {
    throw new RangeError(`maxReceiveCount must be an integer from 1 to 1000, got ${redrive.maxReceiveCount}`);
  }
}
