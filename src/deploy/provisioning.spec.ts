import { HeadBucketCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand, GetQueueUrlCommand, SQSClient } from '@aws-sdk/client-sqs';
import { randomUUID } from 'node:crypto';
import { LocalS3Server, S3RVER_CREDENTIALS, startLocalS3Server } from '../../test/support/local-s3-server';
import { LocalSqsServer, startLocalSqsServer } from '../../test/support/local-sqs-server';
import { provisionBucket } from './bucket-provisioning';
import { ProvisionStep } from './deploy-report';
import { DEAD_LETTER_RETENTION_SECONDS, provisionQueues, QueuePlan } from './queue-provisioning';
import { deleteBucketWithObjects, deleteQueuesByName } from './teardown';

const REGION = 'us-east-1';
let sqsServer: LocalSqsServer;
let s3Server: LocalS3Server;
let sqs: SQSClient;
let s3: S3Client;

beforeAll(async () => {
  [sqsServer, s3Server] = await Promise.all([startLocalSqsServer(), startLocalS3Server()]);
  sqs = new SQSClient({
    region: REGION,
    endpoint: sqsServer.endpoint,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  s3 = new S3Client({
    region: REGION,
    endpoint: s3Server.endpoint,
    forcePathStyle: true,
    credentials: S3RVER_CREDENTIALS,
  });
});

afterAll(async () => {
  sqs?.destroy();
  s3?.destroy();
  await Promise.all([sqsServer?.stop(), s3Server?.stop()]);
});

function freshPlan(overrides: Partial<QueuePlan> = {}): QueuePlan {
  const prefix = `deploy-${randomUUID().slice(0, 8)}`;
  return {
    names: { requests: `${prefix}-requests`, responses: `${prefix}-responses`, deadLetter: `${prefix}-dead` },
    maxReceiveCount: 4,
    visibilityTimeoutMs: 44_500,
    ...overrides,
  };
}

async function attributesOf(name: string): Promise<Record<string, string>> {
  const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: name }));
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['All'] }));
  return Attributes ?? {};
}

const outcomes = (steps: ProvisionStep[]) => steps.map(({ subject, outcome }) => `${subject}: ${outcome}`);
const calls = (action: string) => sqsServer.requests.get(action) ?? 0;

describe('provisionQueues on an SQS-compatible server', () => {
  it('creates the dead-letter queue, then the request queue redriving to it, then the response queue', async () => {
    const plan = freshPlan();
    const { requests, responses, deadLetter } = plan.names;

    const steps = await provisionQueues(sqs, plan);

    expect(outcomes(steps)).toEqual([
      `SQS queue ${deadLetter}: created`,
      `SQS queue ${deadLetter}: message retention 14 days: applied`,
      `SQS queue ${deadLetter}: server-side encryption: applied`,
      `SQS queue ${requests}: created`,
      `SQS queue ${requests}: visibility timeout 45 s: applied`,
      `SQS queue ${requests}: redrive to ${deadLetter} after 4 receives: applied`,
      `SQS queue ${requests}: server-side encryption: applied`,
      `SQS queue ${responses}: created`,
      `SQS queue ${responses}: server-side encryption: applied`,
    ]);
    const dead = await attributesOf(deadLetter);
    expect(dead.MessageRetentionPeriod).toBe(String(DEAD_LETTER_RETENTION_SECONDS));
    const request = await attributesOf(requests);
    expect(request.VisibilityTimeout).toBe('45');
    const redrive = JSON.parse(request.RedrivePolicy) as {
      deadLetterTargetArn: string;
      maxReceiveCount: unknown;
    };
    expect(redrive.deadLetterTargetArn).toBe(dead.QueueArn);
    expect(Number(redrive.maxReceiveCount)).toBe(4);
    for (const name of [requests, responses, deadLetter]) {
      expect((await attributesOf(name)).SqsManagedSseEnabled).toBe('true');
    }
  });

  it('finds everything in place on a second run, and creates or changes nothing', async () => {
    const plan = freshPlan();
    await provisionQueues(sqs, plan);
    const before = { create: calls('CreateQueue'), set: calls('SetQueueAttributes') };

    const steps = await provisionQueues(sqs, plan);

    expect(new Set(steps.map((step) => step.outcome))).toEqual(new Set(['already-existed', 'already-set']));
    expect(steps).toHaveLength(9);
    expect({ create: calls('CreateQueue'), set: calls('SetQueueAttributes') }).toEqual(before);
  });

  it('brings an existing request queue in line with new MAX_ATTEMPTS and VISIBILITY_TIMEOUT_MS', async () => {
    const plan = freshPlan();
    await provisionQueues(sqs, plan);

    const steps = await provisionQueues(sqs, { ...plan, maxReceiveCount: 7, visibilityTimeoutMs: 60_000 });

    const changed = steps.filter((step) => step.outcome === 'applied');
    expect(changed.map((step) => [step.subject, step.detail])).toEqual([
      [`SQS queue ${plan.names.requests}: visibility timeout 60 s`, 'was VisibilityTimeout 45 s'],
      [
        `SQS queue ${plan.names.requests}: redrive to ${plan.names.deadLetter} after 7 receives`,
        `was redrive to ${(await attributesOf(plan.names.deadLetter)).QueueArn} after 4 receives`,
      ],
    ]);
    const request = await attributesOf(plan.names.requests);
    expect(request.VisibilityTimeout).toBe('60');
    expect(Number(JSON.parse(request.RedrivePolicy).maxReceiveCount)).toBe(7);
  });

  it('refuses a plan whose queues share a name, before calling SQS', async () => {
    const plan = freshPlan();
    const before = calls('GetQueueUrl');
    await expect(
      provisionQueues(sqs, { ...plan, names: { ...plan.names, responses: plan.names.requests } }),
    ).rejects.toThrow(/three different names/);
    expect(calls('GetQueueUrl')).toBe(before);
  });
});

describe('provisionBucket on s3rver', () => {
  it('creates the bucket, and reports each safe default that s3rver does not implement as not supported', async () => {
    const bucket = `deploy-${randomUUID().slice(0, 8)}`;

    const steps = await provisionBucket(s3, bucket, REGION, { retentionDays: 30 });

    expect(steps.map(({ subject, outcome, detail }) => [subject, outcome, detail])).toEqual([
      [`S3 bucket ${bucket}`, 'created', REGION],
      [`S3 bucket ${bucket}: default encryption`, 'not-supported', 'the endpoint answered NotImplemented'],
      [`S3 bucket ${bucket}: public access block`, 'not-supported', 'the endpoint answered NotImplemented'],
      [
        `S3 bucket ${bucket}: object ownership BucketOwnerEnforced (ACLs disabled)`,
        'not-supported',
        'GetBucketOwnershipControls answered without ownership rules',
      ],
      [
        `S3 bucket ${bucket}: lifecycle: inputs and outputs expire after 30 days`,
        'not-supported',
        'the endpoint answered NotImplemented',
      ],
    ]);
    await expect(s3.send(new HeadBucketCommand({ Bucket: bucket }))).resolves.toBeDefined();
  });

  it('finds the bucket on a second run and keeps its objects', async () => {
    const bucket = `deploy-${randomUUID().slice(0, 8)}`;
    await provisionBucket(s3, bucket, REGION, { retentionDays: 30 });
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'inputs/kept', Body: 'x' }));

    const [bucketStep] = await provisionBucket(s3, bucket, REGION, { retentionDays: 30 });

    expect(bucketStep.outcome).toBe('already-existed');
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
    expect(listed.Contents?.map((object) => object.Key)).toEqual(['inputs/kept']);
  });
});

describe('teardown on the local servers', () => {
  it('deletes the queues, and the bucket after its objects; a second teardown finds them gone', async () => {
    const plan = freshPlan();
    const { requests, responses, deadLetter } = plan.names;
    const bucket = `deploy-${randomUUID().slice(0, 8)}`;
    await provisionQueues(sqs, plan);
    await provisionBucket(s3, bucket, REGION, { retentionDays: 30 });
    const keys = ['inputs/a', 'inputs/b/c', 'outputs/a.json', 'outputs/b.json', 'health/probe'];
    for (const key of keys) await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: key }));

    const queueSteps = await deleteQueuesByName(sqs, [requests, responses, deadLetter]);
    const bucketStep = await deleteBucketWithObjects(s3, bucket, REGION, { pageSize: 2 });

    expect(queueSteps.map((step) => step.outcome)).toEqual(['deleted', 'deleted', 'deleted']);
    expect(bucketStep).toEqual({
      subject: `S3 bucket ${bucket}`,
      outcome: 'deleted',
      detail: '5 objects deleted first',
    });
    for (const name of [requests, responses, deadLetter]) {
      await expect(sqs.send(new GetQueueUrlCommand({ QueueName: name }))).rejects.toMatchObject({
        name: 'QueueDoesNotExist',
      });
    }
    await expect(s3.send(new HeadBucketCommand({ Bucket: bucket }))).rejects.toMatchObject({
      $metadata: { httpStatusCode: 404 },
    });

    const again = await deleteQueuesByName(sqs, [requests, responses, deadLetter]);
    expect(again.map((step) => step.outcome)).toEqual(['already-gone', 'already-gone', 'already-gone']);
    expect((await deleteBucketWithObjects(s3, bucket, REGION)).outcome).toBe('already-gone');
  });
});
