import { SQSClient } from '@aws-sdk/client-sqs';
import { randomUUID } from 'node:crypto';
import { findQueueUrl, provisionQueues } from '../../src/deploy/queue-provisioning';
import { deleteQueuesByName } from '../../src/deploy/teardown';

/** Fresh queues for one test, made by the provisioner that `npm run aws:provision` runs. */
export interface SqsTestQueues {
  queueUrl: string;
  deadLetterQueueUrl: string;
  /** Deletes the three queues. */
  remove(): Promise<void>;
}

/**
 * Provisions a request queue (redriving to its dead-letter queue after `maxReceiveCount`
 * receives, with the default visibility timeout), its dead-letter queue and a response queue, all
 * under fresh random names.
 */
export async function createSqsTestQueues(
  client: SQSClient,
  settings: { maxReceiveCount: number; visibilityTimeoutMs: number },
): Promise<SqsTestQueues> {
  const name = `test-${randomUUID().slice(0, 8)}`;
  const names = { requests: name, responses: `${name}-responses`, deadLetter: `${name}-dead-letter` };
  await provisionQueues(client, { names, ...settings });
  const url = async (queue: string) => {
    const found = await findQueueUrl(client, queue);
    if (!found) throw new Error(`Queue ${queue} was provisioned but cannot be found`);
    return found;
  };
  return {
    queueUrl: await url(names.requests),
    deadLetterQueueUrl: await url(names.deadLetter),
    remove: async () => {
      await deleteQueuesByName(client, Object.values(names));
    },
  };
}
