import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  QueueAttributeName,
  SetQueueAttributesCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { awsErrorCode } from '../adapters/aws/aws-errors';
import { lookUpQueueUrl } from '../adapters/aws/aws-clients';
import { call, DeployError, ProvisionStep } from './deploy-report';

/** The queues {@link provisionQueues} creates or verifies. */
export interface QueuePlan {
  /** Names of the request, response and dead-letter queues: three different standard queues. */
  names: { requests: string; responses: string; deadLetter: string };
  /** Deliveries of a request before SQS moves it to the dead-letter queue, 1–1000 (the app's MAX_ATTEMPTS). */
  maxReceiveCount: number;
  /** The request queue's default visibility timeout; SQS keeps whole seconds, rounded up (the app's VISIBILITY_TIMEOUT_MS). */
  visibilityTimeoutMs: number;
}

type Attributes = Partial<Record<QueueAttributeName, string>>;

/** One attribute-level setting: what to write, and whether what SQS reports already satisfies it. */
interface QueueSetting {
  label: string;
  desired: Attributes;
  /** `unsupported` when the endpoint does not report the attribute at all. */
  check(actual: Attributes): 'satisfied' | 'unsatisfied' | 'unsupported';
  /** What SQS reports, for the report line. */
  found(actual: Attributes): string;
}

// SQS's longest retention (14 days). A redriven message keeps its first enqueue time, so the
// dead-letter queue must keep messages longer than the request queue (4 days by default) does.
export const DEAD_LETTER_RETENTION_SECONDS = 14 * 24 * 60 * 60;

/**
 * Creates or verifies the dead-letter queue, the request queue (redriving to it after
 * `maxReceiveCount` receives, with the default visibility timeout) and the response queue, all
 * with SQS-managed server-side encryption (SSE-SQS; a queue already encrypted with KMS is left
 * so). Idempotent: an existing queue is kept, and only settings that differ are changed, with
 * SetQueueAttributes. Returns one step per queue and per setting; throws {@link DeployError}.
 */
export async function provisionQueues(client: SQSClient, plan: QueuePlan): Promise<ProvisionStep[]> {
  checkPlan(plan);
  const steps: ProvisionStep[] = [];
  const deadLetterArn = await ensureQueue(client, plan.names.deadLetter, [retention(), encryption()], steps);
  await ensureQueue(
    client,
    plan.names.requests,
    [
      visibilityTimeout(Math.ceil(plan.visibilityTimeoutMs / 1000)),
      redrive(deadLetterArn, plan.names.deadLetter, plan.maxReceiveCount),
      encryption(),
    ],
    steps,
  );
  await ensureQueue(client, plan.names.responses, [encryption()], steps);
  return steps;
}

/** The queue's URL, or undefined when SQS says it does not exist. */
export function findQueueUrl(client: SQSClient, name: string): Promise<string | undefined> {
  return call(`SQS queue ${name}`, 'GetQueueUrl', () => lookUpQueueUrl(client, name));
}

/** Creates the queue with every setting, or brings an existing one's settings in line; returns its ARN. */
async function ensureQueue(
  client: SQSClient,
  name: string,
  settings: QueueSetting[],
  steps: ProvisionStep[],
): Promise<string> {
  const subject = `SQS queue ${name}`;
  let queueUrl = await findQueueUrl(client, name);
  const created = !queueUrl;
  if (!queueUrl) {
    const attributes = Object.assign({}, ...settings.map((setting) => setting.desired)) as Attributes;
    queueUrl = await createQueue(client, subject, name, attributes);
  }
  steps.push({ subject, outcome: created ? 'created' : 'already-existed' });

  const actual = await readAttributes(client, subject, queueUrl);
  for (const setting of settings) {
    const state = setting.check(actual);
    const step = { subject: `${subject}: ${setting.label}` };
    if (state === 'unsupported') {
      steps.push({ ...step, outcome: 'not-supported', detail: 'the endpoint reports no such attribute' });
    } else if (state === 'satisfied') {
      steps.push({ ...step, outcome: created ? 'applied' : 'already-set', detail: setting.found(actual) });
    } else {
      // Also on a queue just created, whose attributes SQS may not report yet: setting them again is harmless.
      await call(subject, 'SetQueueAttributes', () =>
        client.send(new SetQueueAttributesCommand({ QueueUrl: queueUrl, Attributes: setting.desired })),
      );
      steps.push({
        ...step,
        outcome: 'applied',
        detail: created ? undefined : `was ${setting.found(actual)}`,
      });
    }
  }
  if (!actual.QueueArn)
    throw new DeployError(subject, 'GetQueueAttributes', { cause: new Error('no QueueArn') });
  return actual.QueueArn;
}

async function createQueue(
  client: SQSClient,
  subject: string,
  name: string,
  attributes: Attributes,
): Promise<string> {
  let queueUrl: string | undefined;
  try {
    ({ QueueUrl: queueUrl } = await client.send(
      new CreateQueueCommand({ QueueName: name, Attributes: attributes }),
    ));
  } catch (error) {
    const hint = /QueueDeletedRecently/.test(awsErrorCode(error) ?? '')
      ? 'SQS reuses the name of a deleted queue only after 60 seconds: run this again in a minute'
      : undefined;
    throw new DeployError(subject, 'CreateQueue', { cause: error, hint });
  }
  if (!queueUrl) throw new DeployError(subject, 'CreateQueue', { cause: new Error('no QueueUrl returned') });
  return queueUrl;
}

async function readAttributes(client: SQSClient, subject: string, queueUrl: string): Promise<Attributes> {
  const { Attributes: attributes = {} } = await call(subject, 'GetQueueAttributes', () =>
    client.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['All'] })),
  );
  return attributes;
}

function retention(): QueueSetting {
  const seconds = String(DEAD_LETTER_RETENTION_SECONDS);
  return {
    label: 'message retention 14 days',
    desired: { MessageRetentionPeriod: seconds },
    check: (actual) => (actual.MessageRetentionPeriod === seconds ? 'satisfied' : 'unsatisfied'),
    found: (actual) => `MessageRetentionPeriod ${actual.MessageRetentionPeriod ?? 'unset'} s`,
  };
}

function visibilityTimeout(seconds: number): QueueSetting {
  return {
    label: `visibility timeout ${seconds} s`,
    desired: { VisibilityTimeout: String(seconds) },
    check: (actual) => (actual.VisibilityTimeout === String(seconds) ? 'satisfied' : 'unsatisfied'),
    found: (actual) => `VisibilityTimeout ${actual.VisibilityTimeout ?? 'unset'} s`,
  };
}

function redrive(deadLetterArn: string, deadLetterName: string, maxReceiveCount: number): QueueSetting {
  return {
    label: `redrive to ${deadLetterName} after ${maxReceiveCount} receives`,
    desired: {
      RedrivePolicy: JSON.stringify({
        deadLetterTargetArn: deadLetterArn,
        maxReceiveCount: String(maxReceiveCount),
      }),
    },
    check: (actual) => {
      const policy = parseRedrivePolicy(actual.RedrivePolicy);
      // SQS reports maxReceiveCount as a number; some servers keep the string they were sent.
      return policy?.deadLetterTargetArn === deadLetterArn &&
        Number(policy.maxReceiveCount) === maxReceiveCount
        ? 'satisfied'
        : 'unsatisfied';
    },
    found: (actual) => {
      const policy = parseRedrivePolicy(actual.RedrivePolicy);
      return policy
        ? `redrive to ${policy.deadLetterTargetArn} after ${String(policy.maxReceiveCount)} receives`
        : 'no redrive';
    },
  };
}

function encryption(): QueueSetting {
  return {
    label: 'server-side encryption',
    desired: { SqsManagedSseEnabled: 'true' },
    check: (actual) => {
      if (actual.KmsMasterKeyId || actual.SqsManagedSseEnabled === 'true') return 'satisfied';
      return actual.SqsManagedSseEnabled === undefined ? 'unsupported' : 'unsatisfied';
    },
    found: (actual) => {
      if (actual.KmsMasterKeyId) return `SSE-KMS, key ${actual.KmsMasterKeyId}`;
      return actual.SqsManagedSseEnabled === 'true' ? 'SSE-SQS' : 'not encrypted';
    },
  };
}

function parseRedrivePolicy(
  text: string | undefined,
): { deadLetterTargetArn?: string; maxReceiveCount?: unknown } | undefined {
  if (!text) return undefined;
  try {
    return JSON.parse(text) as { deadLetterTargetArn?: string; maxReceiveCount?: unknown };
  } catch {
    return undefined;
  }
}

function checkPlan(plan: QueuePlan): void {
  const { requests, responses, deadLetter } = plan.names;
  if (new Set([requests, responses, deadLetter]).size !== 3) {
    throw new RangeError('The request, response and dead-letter queues must have three different names');
  }
  if (!Number.isInteger(plan.maxReceiveCount) || plan.maxReceiveCount < 1 || plan.maxReceiveCount > 1000) {
    throw new RangeError(`maxReceiveCount must be an integer from 1 to 1000, got ${plan.maxReceiveCount}`);
  }
  const seconds = plan.visibilityTimeoutMs / 1000;
  if (!(seconds >= 0 && seconds <= 12 * 60 * 60)) {
    throw new RangeError(`visibilityTimeoutMs must be from 0 to 12 hours, got ${plan.visibilityTimeoutMs}`);
  }
}
