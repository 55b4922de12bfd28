import { EC2Client } from '@aws-sdk/client-ec2';
import { HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { GetQueueUrlCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { AwsConfig } from '../../config/aws-config';
import { InvalidConfigError } from '../../config/env';
import { QueueBackendError } from '../../queue/queue.errors';
import { ObjectStoreBackendError } from './s3-errors';
import { awsHttpStatus } from './aws-errors';
import { isMissingQueue } from './sqs-errors';

/** An SQS client for the configured region and endpoint; credentials from the SDK's default chain. */
export function createSqsClient(config: AwsConfig): SQSClient {
  return new SQSClient({ region: config.region, endpoint: config.sqsEndpoint });
}

/** An S3 client for the configured region and endpoint, path-style when asked. */
export function createS3Client(config: AwsConfig): S3Client {
  return new S3Client({
    region: config.region,
    endpoint: config.s3Endpoint,
    forcePathStyle: config.s3ForcePathStyle,
  });
}

/** An EC2 client for the configured region (EC2 has no endpoint override here: it is never emulated). */
export function createEc2Client(config: AwsConfig): EC2Client {
  return new EC2Client({ region: config.region });
}

/** The URLs of the three queues, which must exist (`npm run aws:provision` creates them). */
export async function findQueueUrls(
  client: SQSClient,
  config: AwsConfig,
): Promise<{ requests: string; responses: string; deadLetter: string }> {
  const [requests, responses, deadLetter] = await Promise.all(
    [config.queues.requests, config.queues.responses, config.queues.deadLetter].map((name) =>
      findQueueUrl(client, name, config.region),
    ),
  );
  return { requests, responses, deadLetter };
}

/** The queue's URL, or undefined when SQS has no queue by that name; other failures are the SDK's. */
export async function lookUpQueueUrl(client: SQSClient, name: string): Promise<string | undefined> {
  try {
    const { QueueUrl } = await client.send(new GetQueueUrlCommand({ QueueName: name }));
    if (!QueueUrl) throw new Error('SQS answered without a QueueUrl');
    return QueueUrl;
  } catch (error) {
    if (isMissingQueue(error)) return undefined;
    throw error;
  }
}

async function findQueueUrl(client: SQSClient, name: string, region: string): Promise<string> {
  let queueUrl: string | undefined;
  try {
    queueUrl = await lookUpQueueUrl(client, name);
  } catch (error) {
    throw new QueueBackendError(name, 'find queue URL', { cause: error });
  }
  if (!queueUrl) {
    throw new InvalidConfigError(
      `SQS queue '${name}' does not exist in ${region}: create the queues with npm run aws:provision`,
    );
  }
  return queueUrl;
}

/** Fails with a clear error unless the bucket exists and these credentials may use it. */
export async function checkBucket(client: S3Client, bucket: string, region: string): Promise<void> {
  try {
    await client.send(new HeadBucketCommand({ Bucket: bucket }));
  } catch (error) {
    const status = awsHttpStatus(error);
    if (status === 404) {
      throw new InvalidConfigError(
        `S3 bucket '${bucket}' does not exist in ${region}: create it with npm run aws:provision`,
      );
    }
    if (status === 403) {
      throw new InvalidConfigError(`S3 bucket '${bucket}' is not accessible with these credentials`);
    }
    throw new ObjectStoreBackendError(bucket, 'head bucket', '', { cause: error });
  }
}
