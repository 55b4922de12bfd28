import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { LocalS3Server, S3RVER_CREDENTIALS, startLocalS3Server } from '../../../test/support/local-s3-server';
import { LocalSqsServer, startLocalSqsServer } from '../../../test/support/local-sqs-server';
import { createSqsTestQueues } from '../../../test/support/sqs-test-queues';
import { describeObjectStoreContract } from '../../object-store/object-store.contract';
import { describeQueueContract } from '../../queue/queue.contract';
import { S3ObjectStore } from './s3-object-store';
import { SqsQueue } from './sqs-queue';

// The contract suites the local adapters pass, run against S3- and SQS-compatible servers over
// real HTTP with the real SDK: what the SQS and S3 adapters promise is what the service relies on.

let sqs: LocalSqsServer;
let sqsClient: SQSClient;
let s3: LocalS3Server;
let s3Client: S3Client;
const BUCKET = 'object-store-contract';

beforeAll(async () => {
  [sqs, s3] = await Promise.all([startLocalSqsServer(), startLocalS3Server()]);
  const credentials = S3RVER_CREDENTIALS;
  sqsClient = new SQSClient({ region: 'us-east-1', endpoint: sqs.endpoint, credentials });
  s3Client = new S3Client({ region: 'us-east-1', endpoint: s3.endpoint, forcePathStyle: true, credentials });
  await s3Client.send(new CreateBucketCommand({ Bucket: BUCKET }));
});

afterAll(async () => {
  sqsClient.destroy();
  s3Client.destroy();
  await Promise.all([sqs.stop(), s3.stop()]);
});

describeQueueContract('SqsQueue on an SQS-compatible server', async (settings) => {
  const created = await createSqsTestQueues(sqsClient, settings);
  const queue = new SqsQueue({ client: sqsClient, queueUrl: created.queueUrl });
  const deadLetterQueue = new SqsQueue({ client: sqsClient, queueUrl: created.deadLetterQueueUrl });
  return {
    queue,
    deadLetterQueue,
    settings,
    cleanup: async () => {
      await Promise.all([queue.close(), deadLetterQueue.close()]);
      await created.remove();
    },
  };
});

describeObjectStoreContract('S3ObjectStore on an S3-compatible server', {
  create: () => new S3ObjectStore({ client: s3Client, bucket: BUCKET }),
});
