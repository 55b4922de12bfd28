import {
  DeleteBucketCommand,
  DeleteObjectsCommand,
  ListObjectsV2Command,
  ListObjectsV2CommandOutput,
  S3Client,
} from '@aws-sdk/client-s3';
import { DeleteQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { bucketExists } from './bucket-provisioning';
import { awsErrorCode } from '../adapters/aws/aws-errors';
import { isMissingQueue } from '../adapters/aws/sqs-errors';
import { call, DeployError, TeardownStep } from './deploy-report';
import { findQueueUrl } from './queue-provisioning';

/**
 * Deletes the named queues with their messages, one step each; a queue that does not exist is
 * reported as already gone, so a second teardown succeeds. SQS lets a deleted queue's name be
 * used again only after 60 seconds. Throws {@link DeployError}.
 */
export async function deleteQueuesByName(
  client: SQSClient,
  names: readonly string[],
): Promise<TeardownStep[]> {
  const steps: TeardownStep[] = [];
  for (const name of names) {
    const subject = `SQS queue ${name}`;
    const queueUrl = await findQueueUrl(client, name);
    if (!queueUrl) {
      steps.push({ subject, outcome: 'already-gone' });
      continue;
    }
    try {
      await client.send(new DeleteQueueCommand({ QueueUrl: queueUrl }));
      steps.push({ subject, outcome: 'deleted' });
    } catch (error) {
      // Deleted meanwhile (SQS lists a deleted queue for a while after DeleteQueue).
      if (!isMissingQueue(error)) throw new DeployError(subject, 'DeleteQueue', { cause: error });
      steps.push({ subject, outcome: 'already-gone' });
    }
  }
  return steps;
}

/** Options of {@link deleteBucketWithObjects}. */
export interface DeleteBucketOptions {
  /** Keys listed, and deleted in one DeleteObjects call, at a time: 1–1000. Default: 1000. */
  pageSize?: number;
}

/**
 * Deletes every object in the bucket, then the bucket; a missing bucket is reported as already
 * gone. Object versions are not deleted: a bucket with versioning turned on (the provisioner never
 * turns it on) is refused by S3 with `BucketNotEmpty`, and the error says so. Throws {@link DeployError}.
 */
export async function deleteBucketWithObjects(
  client: S3Client,
  bucket: string,
  region: string,
  options: DeleteBucketOptions = {},
): Promise<TeardownStep> {
  const subject = `S3 bucket ${bucket}`;
  if (!(await bucketExists(client, bucket, region))) return { subject, outcome: 'already-gone' };
  const removed = await deleteAllObjects(client, subject, bucket, options.pageSize ?? 1000);
  try {
    await client.send(new DeleteBucketCommand({ Bucket: bucket }));
  } catch (error) {
    const code = awsErrorCode(error);
    if (code === 'NoSuchBucket') return { subject, outcome: 'already-gone' };
    const hint =
      code === 'BucketNotEmpty'
        ? 'Objects were written while it was being emptied (stop the control plane and its workers first), or the bucket keeps object versions: empty it in the S3 console and run the teardown again'
        : undefined;
    throw new DeployError(subject, 'DeleteBucket', { cause: error, hint });
  }
  return {
    subject,
    outcome: 'deleted',
    detail: `${removed} object${removed === 1 ? '' : 's'} deleted first`,
  };
}

/** Deletes the bucket's objects a listing page (up to 1000) at a time; returns how many. */
async function deleteAllObjects(
  client: S3Client,
  subject: string,
  bucket: string,
  pageSize: number,
): Promise<number> {
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 1000) {
    throw new RangeError(`pageSize must be an integer from 1 to 1000, got ${pageSize}`);
  }
  let removed = 0;
  let continuationToken: string | undefined;
  do {
    const page: ListObjectsV2CommandOutput = await call(subject, 'ListObjectsV2', () =>
      client.send(
        new ListObjectsV2Command({ Bucket: bucket, MaxKeys: pageSize, ContinuationToken: continuationToken }),
      ),
    );
    const keys = (page.Contents ?? []).flatMap((object) =>
      object.Key === undefined ? [] : [{ Key: object.Key }],
    );
    if (keys.length) {
      const output = await call(subject, 'DeleteObjects', () =>
        client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys, Quiet: true } })),
      );
      const [failed] = output.Errors ?? [];
      if (failed) {
        throw new DeployError(subject, `DeleteObjects of ${failed.Key}`, {
          cause: new Error(
            `${failed.Code}: ${failed.Message} (${output.Errors!.length} objects not deleted)`,
          ),
        });
      }
      removed += keys.length;
    }
    continuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (continuationToken);
  return removed;
}
