import {
  ChangeMessageVisibilityCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  Message,
  MessageSystemAttributeName,
  QueueAttributeName,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageBatchRequestEntry,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { ServiceError } from '../../common/errors';
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
import { RecentHandles } from './recent-handles';
import { awsErrorCode, errorMessage } from './aws-errors';
import { isAbortError, isRefusedHandleError, isStaleHandleError } from './sqs-errors';

/** Options of {@link SqsQueue}. */
export interface SqsQueueOptions {
  /**
   * The SDK client. The queues of one process share it, and its owner destroys it after closing
   * them: {@link SqsQueue.close} leaves it open.
   */
  client: SQSClient;
  /** URL of a standard (not FIFO) queue, as CreateQueue or GetQueueUrl return it. */
  queueUrl: string;
  /** Name for logs and errors. Default: the last path segment of `queueUrl`. */
  name?: string;
  /**
   * Visibility timeout of a receive that names none. Default: the queue's own `VisibilityTimeout`
   * attribute, applied by SQS (set by `npm run aws:provision`, see `src/deploy/queue-provisioning.ts`).
   */
  visibilityTimeoutMs?: number;
  /**
   * How many of the receipt handles it issued the adapter remembers, to report a refused handle
   * of a message since deleted as expired rather than as never issued. Default: 10 000.
   */
  rememberedHandles?: number;
}

const MESSAGE_ATTRIBUTES: MessageSystemAttributeName[] = ['ApproximateReceiveCount', 'SentTimestamp'];

/** Entries of a batch that failed for the server's own reasons are sent again, this often in all. */
const SEND_BATCH_ATTEMPTS = 3;

/**
 * A {@link Queue} on an Amazon SQS standard queue. SQS counts seconds, so delays, visibility
 * timeouts and long-poll waits are rounded up to whole seconds. Redrive to the dead-letter queue is
 * SQS's own, configured on the queue (its `RedrivePolicy`). Throttling and network failures are
 * retried by the SDK client as configured; what remains surfaces as {@link QueueBackendError}.
 */
export class SqsQueue extends Queue {
  readonly name: string;
  private readonly client: SQSClient;
  private readonly queueUrl: string;
  private readonly visibilityTimeoutMs?: number;
  private readonly issued: RecentHandles;
  private readonly closing = new AbortController();

  constructor(options: SqsQueueOptions) {
    super();
    this.client = options.client;
    this.queueUrl = options.queueUrl;
    this.name = options.name ?? decodeURIComponent(new URL(options.queueUrl).pathname.split('/').pop() ?? '');
    if (!this.name) throw new RangeError(`Cannot name the queue at ${options.queueUrl}`);
    if (options.visibilityTimeoutMs !== undefined) checkVisibilityTimeout(options.visibilityTimeoutMs);
    this.visibilityTimeoutMs = options.visibilityTimeoutMs;
    this.issued = new RecentHandles(options.rememberedHandles ?? 10_000);
  }

  async send(body: string, options?: SendOptions): Promise<string> {
    const delayMs = checkSend([body], options);
    this.assertOpen();
    const output = await this.call('send', () =>
      this.client.send(
        new SendMessageCommand({
          QueueUrl: this.queueUrl,
          MessageBody: body,
          DelaySeconds: seconds(delayMs),
        }),
      ),
    );
    if (!output.MessageId) throw this.failure('send', 'no MessageId');
    return output.MessageId;
  }

  async sendBatch(bodies: readonly string[], options?: SendOptions): Promise<string[]> {
    const delayMs = checkSend(bodies, options);
    this.assertOpen();
    const ids = bodies.map(() => '');
    let pending: SendMessageBatchRequestEntry[] = bodies.map((body, i) => ({
      Id: String(i),
      MessageBody: body,
      DelaySeconds: seconds(delayMs),
    }));
    for (let attempt = 1; pending.length > 0; attempt++) {
      const output = await this.call('send', () =>
        this.client.send(new SendMessageBatchCommand({ QueueUrl: this.queueUrl, Entries: pending })),
      );
      for (const sent of output.Successful ?? []) ids[Number(sent.Id)] = sent.MessageId ?? '';
      const failed = output.Failed ?? [];
      if (failed.length > 0 && (failed.some((f) => f.SenderFault) || attempt >= SEND_BATCH_ATTEMPTS)) {
        const reasons = failed.map((f) => `entry ${f.Id}: ${f.Code} ${f.Message ?? ''}`.trim()).join('; ');
        const sent = bodies.length - failed.length;
        throw this.failure('send', `${failed.length} of ${bodies.length} failed (${sent} sent): ${reasons}`);
      }
      pending = pending.filter((entry) => failed.some((f) => f.Id === entry.Id));
    }
    if (ids.some((id) => !id)) throw this.failure('send', 'a sent entry has no MessageId');
    return ids;
  }

  async receive(options: ReceiveOptions = {}): Promise<QueueMessage[]> {
    const { maxMessages, waitTimeMs, signal } = resolveReceiveOptions(options, this.visibilityTimeoutMs ?? 0);
    const visibilityTimeoutMs = options.visibilityTimeoutMs ?? this.visibilityTimeoutMs;
    this.assertOpen();
    if (signal?.aborted) return [];
    const abortSignal = signal ? AbortSignal.any([signal, this.closing.signal]) : this.closing.signal;
    let messages: Message[];
    try {
      const output = await this.client.send(
        new ReceiveMessageCommand({
          QueueUrl: this.queueUrl,
          MaxNumberOfMessages: maxMessages,
          WaitTimeSeconds: seconds(waitTimeMs),
          VisibilityTimeout: visibilityTimeoutMs === undefined ? undefined : seconds(visibilityTimeoutMs),
          MessageSystemAttributeNames: MESSAGE_ATTRIBUTES,
          // SQS reads both; SQS-compatible servers know only the older one, which the SDK mistypes.
          AttributeNames: MESSAGE_ATTRIBUTES as unknown as QueueAttributeName[],
        }),
        { abortSignal },
      );
      messages = output.Messages ?? [];
    } catch (error) {
      // A message that SQS handed out as the poll was cut off stays hidden for its visibility
      // timeout and is then delivered again: the at-least-once delivery consumers are built for.
      if (abortSignal.aborted && isAbortError(error)) return [];
      throw this.backendError('receive', error);
    }
    return messages.map((message) => this.toQueueMessage(message));
  }

  async delete(receiptHandle: string): Promise<void> {
    this.assertOpen();
    try {
      await this.client.send(
        new DeleteMessageCommand({ QueueUrl: this.queueUrl, ReceiptHandle: receiptHandle }),
      );
    } catch (error) {
      if (this.isNoLongerCurrent(receiptHandle, error)) return;
      if (isRefusedHandleError(error))
        throw new InvalidReceiptHandleError(this.name, receiptHandle, { cause: error });
      throw this.backendError('delete', error);
    }
  }

  async deleteBatch(receiptHandles: readonly string[]): Promise<void> {
    checkBatchSize('receipt handles', receiptHandles.length);
    this.assertOpen();
    if (receiptHandles.length === 0) return;
    const output = await this.call('delete', () =>
      this.client.send(
        new DeleteMessageBatchCommand({
          QueueUrl: this.queueUrl,
          Entries: receiptHandles.map((handle, i) => ({ Id: String(i), ReceiptHandle: handle })),
        }),
      ),
    );
    const failures = (output.Failed ?? []).map((entry) => ({
      handle: receiptHandles[Number(entry.Id)],
      error: Object.assign(new Error(entry.Message ?? entry.Code ?? 'failed'), { name: entry.Code }),
    }));
    const refused = failures.find(
      ({ handle, error }) => isRefusedHandleError(error) && !this.isNoLongerCurrent(handle, error),
    );
    if (refused) throw new InvalidReceiptHandleError(this.name, refused.handle, { cause: refused.error });
    const failed = failures.find(({ handle, error }) => !this.isNoLongerCurrent(handle, error));
    if (failed) throw this.backendError('delete', failed.error);
  }

  async changeVisibility(receiptHandle: string, timeoutMs: number): Promise<void> {
    checkVisibilityTimeout(timeoutMs);
    this.assertOpen();
    try {
      await this.client.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: this.queueUrl,
          ReceiptHandle: receiptHandle,
          VisibilityTimeout: seconds(timeoutMs),
        }),
      );
    } catch (error) {
      if (this.isNoLongerCurrent(receiptHandle, error)) {
        throw new ReceiptHandleExpiredError(this.name, receiptHandle, { cause: error });
      }
      if (isRefusedHandleError(error))
        throw new InvalidReceiptHandleError(this.name, receiptHandle, { cause: error });
      throw this.backendError('changeVisibility', error);
    }
  }

  async approximateCounts(): Promise<QueueCounts> {
    this.assertOpen();
    const { Attributes: attributes = {} } = await this.call('count', () =>
      this.client.send(
        new GetQueueAttributesCommand({
          QueueUrl: this.queueUrl,
          AttributeNames: [
            'ApproximateNumberOfMessages',
            'ApproximateNumberOfMessagesNotVisible',
            'ApproximateNumberOfMessagesDelayed',
          ],
        }),
      ),
    );
    const count = (attribute: string): number => {
      const value = Number(attributes[attribute as keyof typeof attributes]);
      if (!Number.isInteger(value) || value < 0) throw this.failure('count', `${attribute} is missing`);
      return value;
    };
    return {
      visible: count('ApproximateNumberOfMessages'),
      inFlight: count('ApproximateNumberOfMessagesNotVisible'),
      delayed: count('ApproximateNumberOfMessagesDelayed'),
    };
  }

  async close(): Promise<void> {
    this.closing.abort();
  }

  private toQueueMessage(message: Message): QueueMessage {
    const { MessageId: id, Body: body, ReceiptHandle: receiptHandle, Attributes: attributes = {} } = message;
    const receiveCount = Number(attributes.ApproximateReceiveCount);
    const sentAt = Number(attributes.SentTimestamp);
    if (!id || body === undefined || !receiptHandle || !(receiveCount >= 1) || !Number.isFinite(sentAt)) {
      throw this.failure('receive', `message ${id ?? '(no id)'} lacks its id, body, handle or attributes`);
    }
    this.issued.add(receiptHandle);
    return { id, body, receiptHandle, receiveCount, sentAt };
  }

  /** SQS's answer means the handle named a delivery, just not a current one. */
  private isNoLongerCurrent(receiptHandle: string, error: unknown): boolean {
    return isStaleHandleError(error) || (isRefusedHandleError(error) && this.issued.has(receiptHandle));
  }

  private assertOpen(): void {
    if (this.closing.signal.aborted) throw new QueueClosedError(this.name);
  }

  /** Runs one SDK call, wrapping its failure with the queue's name and the operation. */
  private async call<T>(operation: string, request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (error) {
      throw this.backendError(operation, error);
    }
  }

  private backendError(operation: string, error: unknown): Error {
    if (error instanceof ServiceError) return error;
    const code = awsErrorCode(error);
    const cause = code && !errorMessage(error).includes(code) ? wrapWithCode(code, error) : error;
    return new QueueBackendError(this.name, operation, { cause });
  }

  private failure(operation: string, problem: string): QueueBackendError {
    return new QueueBackendError(this.name, operation, { cause: new Error(`SQS answered: ${problem}`) });
  }
}

/** Whole seconds, rounded up: SQS counts in seconds and must never hide or wait for less than asked. */
function seconds(ms: number): number {
  return Math.ceil(ms / 1000);
}

/** Puts SQS's error code into the message, which is all that QueueBackendError shows of its cause. */
function wrapWithCode(code: string, error: unknown): Error {
  return new Error(`${code}: ${errorMessage(error)}`, { cause: error });
}
