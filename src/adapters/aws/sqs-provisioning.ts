import {
  CreateQueueCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  QueueAttributeName,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { checkVisibilityTimeout } from '../../queue/queue-limits';
import { QueueBackendError } from '../../queue/queue.errors';

/** What {@link createQueueWithDeadLetter} creates. */
export interface QueueWithDeadLetterSpec {
  /** Name of the work queue: 1–80 characters of letters, digits, '-' and '_' (a standard queue). */
  name: string;
  /** Name of its dead-letter queue. Default: `${name}-dead-letter`. */
  deadLetterName?: string;
  /** Deliveries before SQS moves a message to the dead-letter queue, 1–1000. */
  maxReceiveCount: number;
  /** The work queue's default visibility timeout; SQS keeps whole seconds, rounded up. Default: 30 000 ms. */
  visibilityTimeoutMs?: number;
}

/** URLs and ARN of the queues that {@link createQueueWithDeadLetter} created or found. */
export interface CreatedQueues {
  queueUrl: string;
  deadLetterQueueUrl: string;
  deadLetterQueueArn: string;
}

const QUEUE_NAME = /^[A-Za-z0-9_-]{1,80}$/;
// SQS's longest retention (14 days). A redriven message keeps its first enqueue time, so the
// dead-letter queue must keep messages longer than the work queue (4 days by default) does.
export const DEAD_LETTER_RETENTION_SECONDS = 14 * 24 * 60 * 60;

/**
 * Creates a standard work queue whose `RedrivePolicy` moves a message to a dead-letter queue after
 * `maxReceiveCount` deliveries, creating the dead-letter queue first. Idempotent while the
 * attributes are unchanged: SQS returns existing queues, and refuses (`QueueNameExists`) one
 * that exists with other attributes. Failures surface as {@link QueueBackendError}.
 */
export async function createQueueWithDeadLetter(
  client: SQSClient,
  spec: QueueWithDeadLetterSpec,
): Promise<CreatedQueues> {
  const deadLetterName = spec.deadLetterName ?? `${spec.name}-dead-letter`;
  const visibilityTimeoutMs = spec.visibilityTimeoutMs ?? 30_000;
  checkSpec(spec.name, deadLetterName, spec.maxReceiveCount, visibilityTimeoutMs);

  const deadLetterQueueUrl = await createQueue(client, deadLetterName, {
    MessageRetentionPeriod: String(DEAD_LETTER_RETENTION_SECONDS),
  });
  const deadLetterQueueArn = await queueArn(client, deadLetterName, deadLetterQueueUrl);
  const queueUrl = await createQueue(client, spec.name, {
    VisibilityTimeout: String(Math.ceil(visibilityTimeoutMs / 1000)),
    RedrivePolicy: JSON.stringify({
      deadLetterTargetArn: deadLetterQueueArn,
      maxReceiveCount: String(spec.maxReceiveCount),
    }),
  });
  return { queueUrl, deadLetterQueueUrl, deadLetterQueueArn };
}

/** Deletes queues by URL, with their messages. For tests and teardown; SQS reuses a name only after 60 s. */
export async function deleteQueues(client: SQSClient, queueUrls: readonly string[]): Promise<void> {
  for (const queueUrl of queueUrls) {
    try {
      await client.send(new DeleteQueueCommand({ QueueUrl: queueUrl }));
    } catch (error) {
      throw new QueueBackendError(queueUrl, 'delete queue', { cause: error });
    }
  }
}

async function createQueue(
  client: SQSClient,
  name: string,
  attributes: Partial<Record<QueueAttributeName, string>>,
): Promise<string> {
  try {
    const { QueueUrl } = await client.send(
      new CreateQueueCommand({ QueueName: name, Attributes: attributes }),
    );
    if (!QueueUrl) throw new Error('SQS answered without a QueueUrl');
    return QueueUrl;
  } catch (error) {
    throw new QueueBackendError(name, 'create queue', { cause: error });
  }
}

async function queueArn(client: SQSClient, name: string, queueUrl: string): Promise<string> {
  try {
    const { Attributes } = await client.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
    );
    if (!Attributes?.QueueArn) throw new Error('SQS answered without a QueueArn');
    return Attributes.QueueArn;
  } catch (error) {
    throw new QueueBackendError(name, 'read queue ARN', { cause: error });
  }
}

function checkSpec(
  name: string,
  deadLetterName: string,
  maxReceiveCount: number,
  visibilityTimeoutMs: number,
) {
  for (const each of [name, deadLetterName]) {
    if (!QUEUE_NAME.test(each)) {
      throw new RangeError(
        `A standard queue name is 1–80 letters, digits, '-' or '_', got ${JSON.stringify(each)}`,
      );
    }
  }
  if (name === deadLetterName) throw new RangeError('A queue cannot be its own dead-letter queue');
  if (!Number.isInteger(maxReceiveCount) || maxReceiveCount < 1 || maxReceiveCount > 1000) {
    throw new RangeError(`maxReceiveCount must be an integer from 1 to 1000, got ${maxReceiveCount}`);
  }
  checkVisibilityTimeout(visibilityTimeoutMs);
}
