import { HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { GetQueueUrlCommand, SQSClient } from '@aws-sdk/client-sqs';
import { randomUUID } from 'node:crypto';
import { LocalS3Server, S3RVER_CREDENTIALS, startLocalS3Server } from '../../test/support/local-s3-server';
import { LocalSqsServer, startLocalSqsServer } from '../../test/support/local-sqs-server';
import { CommandOutput, EXIT, runProvisionCommand, runTeardownCommand } from './deploy-commands';

let sqsServer: LocalSqsServer;
let s3Server: LocalS3Server;
let sqs: SQSClient;
let s3: S3Client;
const savedEnv = { ...process.env };

beforeAll(async () => {
  [sqsServer, s3Server] = await Promise.all([startLocalSqsServer(), startLocalS3Server()]);
  // The commands take credentials from the SDK's default chain, as on AWS: here, the environment.
  process.env.AWS_ACCESS_KEY_ID = S3RVER_CREDENTIALS.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = S3RVER_CREDENTIALS.secretAccessKey;
  const common = { region: 'us-east-1', credentials: S3RVER_CREDENTIALS };
  sqs = new SQSClient({ ...common, endpoint: sqsServer.endpoint });
  s3 = new S3Client({ ...common, endpoint: s3Server.endpoint, forcePathStyle: true });
});

afterAll(async () => {
  process.env = savedEnv;
  sqs?.destroy();
  s3?.destroy();
  await Promise.all([sqsServer?.stop(), s3Server?.stop()]);
});

/** The environment of a deployment against the local servers, with fresh names. */
function localEnv(overrides: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const id = randomUUID().slice(0, 8);
  return {
    AWS_REGION: 'us-east-1',
    AWS_ENDPOINT_URL_SQS: sqsServer.endpoint,
    AWS_ENDPOINT_URL_S3: s3Server.endpoint,
    S3_FORCE_PATH_STYLE: 'true',
    SQS_REQUEST_QUEUE: `cmd-${id}-requests`,
    SQS_RESPONSE_QUEUE: `cmd-${id}-responses`,
    SQS_DEAD_LETTER_QUEUE: `cmd-${id}-dead`,
    S3_BUCKET: `cmd-${id}`,
    ...overrides,
  };
}

function capture(): CommandOutput & { logged: string[]; errors: string[] } {
  const logged: string[] = [];
  const errors: string[] = [];
  return { logged, errors, log: (line) => logged.push(line), error: (line) => errors.push(line) };
}

const queueExists = (name: string) =>
  sqs.send(new GetQueueUrlCommand({ QueueName: name })).then(
    () => true,
    () => false,
  );
const bucketExists = (bucket: string) =>
  s3.send(new HeadBucketCommand({ Bucket: bucket })).then(
    () => true,
    () => false,
  );

describe('npm run aws:provision', () => {
  it('reports every queue and the bucket as created, and warns about the settings s3rver lacks', async () => {
    const env = localEnv();
    const output = capture();

    expect(await runProvisionCommand(env, output)).toBe(EXIT.ok);

    expect(output.logged).toEqual(
      expect.arrayContaining([
        `SQS queue ${env.SQS_DEAD_LETTER_QUEUE}: created`,
        `SQS queue ${env.SQS_REQUEST_QUEUE}: created`,
        `SQS queue ${env.SQS_REQUEST_QUEUE}: visibility timeout 30 s: applied (VisibilityTimeout 30 s)`,
        `SQS queue ${env.SQS_REQUEST_QUEUE}: redrive to ${env.SQS_DEAD_LETTER_QUEUE} after 3 receives: applied (redrive to arn:aws:sqs:us-east-1:123456789012:${env.SQS_DEAD_LETTER_QUEUE} after 3 receives)`,
        `SQS queue ${env.SQS_RESPONSE_QUEUE}: created`,
        `S3 bucket ${env.S3_BUCKET}: created (us-east-1)`,
        `S3 bucket ${env.S3_BUCKET}: default encryption: NOT SUPPORTED by this endpoint, skipped (the endpoint answered NotImplemented)`,
        `S3 bucket ${env.S3_BUCKET}: public access block: NOT SUPPORTED by this endpoint, skipped (the endpoint answered NotImplemented)`,
        `S3 bucket ${env.S3_BUCKET}: lifecycle: inputs and outputs expire after 30 days: NOT SUPPORTED by this endpoint, skipped (the endpoint answered NotImplemented)`,
      ]),
    );
    expect(output.logged.at(-1)).toBe('Done: 4 created, 6 applied, 4 not supported by this endpoint.');
    expect(output.errors).toEqual([expect.stringMatching(/^Warning: 4 setting\(s\) could not be applied/)]);
    expect(await queueExists(env.SQS_REQUEST_QUEUE!)).toBe(true);
    expect(await bucketExists(env.S3_BUCKET!)).toBe(true);
  });

  it('reports everything as already there when run again', async () => {
    const env = localEnv();
    await runProvisionCommand(env, capture());
    const output = capture();

    expect(await runProvisionCommand(env, output)).toBe(EXIT.ok);

    expect(output.logged.at(-1)).toBe(
      'Done: 4 already existed, 6 already set, 4 not supported by this endpoint.',
    );
  });

  it('names every missing or invalid variable at once, and exits 1 without calling AWS', async () => {
    const output = capture();
    const before = sqsServer.requests.get('GetQueueUrl') ?? 0;

    const code = await runProvisionCommand({ MAX_ATTEMPTS: '0', VISIBILITY_TIMEOUT_MS: 'soon' }, output);

    expect(code).toBe(EXIT.failed);
    const message = output.errors.join('\n');
    for (const variable of ['AWS_REGION', 'S3_BUCKET', 'MAX_ATTEMPTS', 'VISIBILITY_TIMEOUT_MS']) {
      expect(message).toContain(variable);
    }
    expect(sqsServer.requests.get('GetQueueUrl') ?? 0).toBe(before);
  });

  it('refuses one name for two queues', async () => {
    const output = capture();
    const env = localEnv();
    expect(await runProvisionCommand({ ...env, SQS_RESPONSE_QUEUE: env.SQS_REQUEST_QUEUE }, output)).toBe(
      EXIT.failed,
    );
    expect(output.errors.join('\n')).toMatch(/three different queues/);
  });

  it('exits 1 and says which call failed when the endpoint cannot be reached', async () => {
    const stopped = await startLocalSqsServer();
    await stopped.stop();
    process.env.AWS_MAX_ATTEMPTS = '1';
    const output = capture();
    try {
      expect(await runProvisionCommand(localEnv({ AWS_ENDPOINT_URL_SQS: stopped.endpoint }), output)).toBe(
        EXIT.failed,
      );
    } finally {
      delete process.env.AWS_MAX_ATTEMPTS;
    }
    expect(output.errors).toEqual([
      expect.stringMatching(/^aws:provision failed: SQS queue cmd-.*: GetQueueUrl failed/),
    ]);
  });
});

describe('npm run aws:teardown', () => {
  it('refuses without --yes, deleting nothing, and says what it would delete', async () => {
    const env = localEnv();
    await runProvisionCommand(env, capture());
    const output = capture();

    expect(await runTeardownCommand([], env, output)).toBe(EXIT.refused);

    expect(output.errors.join('\n')).toContain(`S3 bucket ${env.S3_BUCKET} with every object in it`);
    expect(output.errors.join('\n')).toContain('Refusing without --yes');
    expect(await queueExists(env.SQS_REQUEST_QUEUE!)).toBe(true);
    expect(await bucketExists(env.S3_BUCKET!)).toBe(true);
  });

  it('refuses unknown arguments', async () => {
    const output = capture();
    expect(await runTeardownCommand(['--yes', '--force'], localEnv(), output)).toBe(EXIT.refused);
    expect(output.errors.join('\n')).toMatch(/--force/);
  });

  it('with --yes deletes the queues and the bucket, and a second run finds them gone', async () => {
    const env = localEnv();
    await runProvisionCommand(env, capture());
    const output = capture();

    expect(await runTeardownCommand(['--yes'], env, output)).toBe(EXIT.ok);

    expect(output.logged.at(-1)).toBe('Done: 4 deleted.');
    for (const name of [env.SQS_REQUEST_QUEUE!, env.SQS_RESPONSE_QUEUE!, env.SQS_DEAD_LETTER_QUEUE!]) {
      expect(await queueExists(name)).toBe(false);
    }
    expect(await bucketExists(env.S3_BUCKET!)).toBe(false);

    const again = capture();
    expect(await runTeardownCommand(['--yes'], env, again)).toBe(EXIT.ok);
    expect(again.logged.at(-1)).toBe('Done: 4 already gone.');
  });
});
