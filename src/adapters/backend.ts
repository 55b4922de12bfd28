import type { BackendSettings } from '../config/backend-settings';
import type { Clock } from '../ports/clock.port';
import type { ObjectStore } from '../ports/object-store.port';
import type { Queue } from '../ports/queue.port';
import { checkBucket, createS3Client, createSqsClient, findQueueUrls } from './aws/aws-clients';
import { S3ObjectStore } from './aws/s3-object-store';
import { SqsQueue } from './aws/sqs-queue';
import { openLocalObjectStore, openLocalQueues } from './local/local-adapters';

/** The Nest token of the opened {@link Backend}, in the control plane's and the worker's modules. */
export const BACKEND = Symbol('Backend');

/** The three queues and the object store of one profile, opened together. */
export interface Backend {
  requests: Queue;
  responses: Queue;
  deadLetter: Queue;
  objects: ObjectStore;
  /** Closes the queues and releases the clients. */
  close(): Promise<void>;
}

/**
 * Opens the queues and the object store: SQLite files under DATA_DIR (`local`), or
 * SQS queues and an S3 bucket that must already exist (`aws`; `npm run aws:provision` creates
 * them), failing at start with a clear error when they do not.
 */
export async function openBackend(settings: BackendSettings, clock: Clock): Promise<Backend> {
  if (settings.profile === 'local') {
    const queues = openLocalQueues(settings.dataDir, settings.maxAttempts, clock);
    const objects = openLocalObjectStore(settings.dataDir);
    return {
      requests: queues.requests,
      responses: queues.responses,
      deadLetter: queues.deadLetter,
      objects,
      close: async () => {
        await closeAll(Object.values(queues));
        await objects.close();
      },
    };
  }
  const { aws } = settings;
  const sqs = createSqsClient(aws);
  const s3 = createS3Client(aws);
  try {
    const [urls] = await Promise.all([findQueueUrls(sqs, aws), checkBucket(s3, aws.bucket, aws.region)]);
    const queue = (queueUrl: string) => new SqsQueue({ client: sqs, queueUrl });
    const queues = {
      requests: queue(urls.requests),
      responses: queue(urls.responses),
      deadLetter: queue(urls.deadLetter),
    };
    return {
      ...queues,
      objects: new S3ObjectStore({ client: s3, bucket: aws.bucket }),
      close: async () => {
        await closeAll(Object.values(queues));
        sqs.destroy();
        s3.destroy();
      },
    };
  } catch (error) {
    sqs.destroy();
    s3.destroy();
    throw error;
  }
}

async function closeAll(queues: Queue[]): Promise<void> {
  await Promise.all(queues.map((queue) => queue.close()));
}
