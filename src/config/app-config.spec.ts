import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { keyDigest } from '../security/api-keys';
import { InvalidConfigError, loadConfig } from './app-config';

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    expect(loadConfig({})).toMatchObject({
      port: 3000,
      profile: 'local',
      minWorkers: 1,
      maxWorkers: availableParallelism(),
      model: 'mobilenet_v2_1.0_224_quant',
      modelMirror: undefined,
      maxAttempts: 3,
    });
    expect(loadConfig({}).dataDir).toMatch(/data$/);
  });

  it('reads values from the environment', () => {
    expect(
      loadConfig({ PORT: '8080', DATA_DIR: '/tmp/x', MIN_WORKERS: '2', MAX_WORKERS: '4' }),
    ).toMatchObject({
      port: 8080,
      dataDir: '/tmp/x',
      minWorkers: 2,
      maxWorkers: 4,
    });
  });

  it('runs local workers 10 steps below the control plane’s CPU priority unless WORKER_NICENESS says otherwise', () => {
    expect(loadConfig({}).workerNiceness).toBe(10);
    expect(loadConfig({ WORKER_NICENESS: '0' }).workerNiceness).toBe(0);
    expect(() => loadConfig({ WORKER_NICENESS: '20' })).toThrow(/WORKER_NICENESS/);
  });

  it('names every invalid setting in one clear error', () => {
    expect(() => loadConfig({ PORT: 'eighty', PROFILE: 'gcp' })).toThrow(InvalidConfigError);
    expect(() => loadConfig({ PORT: 'eighty', PROFILE: 'gcp' })).toThrow(/PORT[\s\S]*PROFILE/);
  });

  it('refuses a minimum above the maximum', () => {
    expect(() => loadConfig({ MIN_WORKERS: '3', MAX_WORKERS: '2' })).toThrow(
      /MIN_WORKERS must not exceed MAX_WORKERS/,
    );
  });
});

describe('loadConfig with PROFILE=aws', () => {
  const aws = { PROFILE: 'aws', AWS_REGION: 'eu-west-1', S3_BUCKET: 'my-images' };

  it('names the missing region and bucket, and a bad bucket name, in one error', () => {
    expect(() => loadConfig({ PROFILE: 'aws', COMPUTE: 'local' })).toThrow(/AWS_REGION[\s\S]*S3_BUCKET/);
    expect(() => loadConfig({ ...aws, COMPUTE: 'local', S3_BUCKET: 'My_Bucket' })).toThrow(
      /S3_BUCKET: an S3 bucket name/,
    );
  });

  it('defaults the queue names and takes endpoints for S3- and SQS-compatible servers', () => {
    const config = loadConfig({
      ...aws,
      COMPUTE: 'local',
      AWS_ENDPOINT_URL_SQS: 'http://127.0.0.1:9324',
      AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:4568',
      S3_FORCE_PATH_STYLE: 'true',
    });
    expect(config).toMatchObject({ profile: 'aws', compute: 'local', ec2: undefined });
    expect(config.aws).toEqual({
      region: 'eu-west-1',
      sqsEndpoint: 'http://127.0.0.1:9324',
      s3Endpoint: 'http://127.0.0.1:4568',
      s3ForcePathStyle: true,
      deployment: 'my-images',
      queues: {
        requests: 'my-images-requests',
        responses: 'my-images-responses',
        deadLetter: 'my-images-dead-letter',
      },
      bucket: 'my-images',
    });
  });

  it('names the queues and the fleet after the deployment, so that two in one account share neither', () => {
    const ec2 = { ...aws, S3_BUCKET: 'images.example.com', EC2_LAUNCH_TEMPLATE_NAME: 'eir-worker' };
    expect(loadConfig(ec2)).toMatchObject({
      aws: { deployment: 'images-example-com', queues: { requests: 'images-example-com-requests' } },
      ec2: { fleetId: 'images-example-com' },
    });
    expect(loadConfig({ ...ec2, DEPLOYMENT_NAME: 'staging' })).toMatchObject({
      aws: { queues: { responses: 'staging-responses', deadLetter: 'staging-dead-letter' } },
      ec2: { fleetId: 'staging' },
    });
    expect(loadConfig({ ...ec2, SQS_REQUEST_QUEUE: 'mine', FLEET_ID: 'f1' })).toMatchObject({
      aws: { queues: { requests: 'mine', responses: 'images-example-com-responses' } },
      ec2: { fleetId: 'f1' },
    });
    expect(() => loadConfig({ ...ec2, DEPLOYMENT_NAME: 'has space' })).toThrow(/DEPLOYMENT_NAME/);
  });

  it('launches EC2 instances by default, which need a launch template or an AMI and instance type', () => {
    expect(() => loadConfig(aws)).toThrow(/launch template[\s\S]*EC2_AMI_ID/);
    expect(loadConfig({ ...aws, EC2_LAUNCH_TEMPLATE_NAME: 'eir-worker' })).toMatchObject({
      compute: 'ec2',
      ec2: { launchTemplate: { name: 'eir-worker' }, instanceCap: 20, fleetId: 'my-images' },
    });
    expect(
      loadConfig({
        ...aws,
        EC2_AMI_ID: 'ami-1',
        EC2_INSTANCE_TYPE: 't3.small',
        EC2_SECURITY_GROUP_IDS: 'sg-1, sg-2',
        EC2_INSTANCE_PROFILE: 'eir-worker',
      }).ec2?.instance,
    ).toEqual({
      imageId: 'ami-1',
      instanceType: 't3.small',
      securityGroupIds: ['sg-1', 'sg-2'],
      instanceProfile: { name: 'eir-worker' },
    });
  });

  it('refuses EC2 workers with the local queues', () => {
    expect(() => loadConfig({ COMPUTE: 'ec2' })).toThrow(/COMPUTE: ec2 needs PROFILE=aws/);
  });
});

describe('loadConfig defaults by where workers run', () => {
  const ec2 = {
    PROFILE: 'aws',
    AWS_REGION: 'eu-west-1',
    S3_BUCKET: 'my-images',
    EC2_LAUNCH_TEMPLATE_ID: 'lt-1',
  };

  it('uses the AWS numbers for EC2 instances: 19 workers at most, a 2 s period, a boot of 40 s', () => {
    expect(loadConfig(ec2)).toMatchObject({
      maxWorkers: 19,
      scalingPeriodMs: 2_000,
      workerIdleTimeoutMs: 2_000,
      scaling: { acceptableLatencyMs: 50_000, expectedBootMs: 40_000, defaultServiceTimeMs: 1_000 },
      workerHeartbeatTimeoutMs: 180_000,
    });
  });

  it('keeps the local numbers for worker processes, whichever profile holds the queues', () => {
    const local = loadConfig({ ...ec2, COMPUTE: 'local' });
    expect(local).toMatchObject({ maxWorkers: availableParallelism(), scalingPeriodMs: 1_000 });
    expect(local.scaling.expectedBootMs).toBe(loadConfig({}).scaling.expectedBootMs);
  });

  it('lets the environment override a fleet default', () => {
    expect(loadConfig({ ...ec2, MAX_WORKERS: '5', SCALING_PERIOD_MS: '5000' })).toMatchObject({
      maxWorkers: 5,
      scalingPeriodMs: 5_000,
    });
    expect(() => loadConfig({ ...ec2, MIN_WORKERS: '20' })).toThrow(
      /MIN_WORKERS must not exceed MAX_WORKERS/,
    );
  });
});

describe('loadConfig: browsers, rate limits and retention', () => {
  it('turns CORS, rate limits and nothing else off by default, and keeps files 30 days', () => {
    expect(loadConfig({})).toMatchObject({
      corsOrigins: [],
      uploadRateLimit: undefined,
      retention: { days: 30, sweepMs: 3_600_000 },
    });
  });

  it('reads CORS_ORIGINS as exact origins, and refuses one with a path', () => {
    expect(loadConfig({ CORS_ORIGINS: 'https://a.example, http://b.example:8080' }).corsOrigins).toEqual([
      'https://a.example',
      'http://b.example:8080',
    ]);
    expect(() => loadConfig({ CORS_ORIGINS: 'https://a.example/' })).toThrow(
      /CORS_ORIGINS.*no trailing slash/,
    );
  });

  it('sets an upload rate limit from RATE_LIMIT_UPLOADS and its window', () => {
    expect(loadConfig({ RATE_LIMIT_UPLOADS: '100', RATE_LIMIT_WINDOW_MS: '10000' }).uploadRateLimit).toEqual({
      limit: 100,
      windowMs: 10_000,
    });
  });
});

describe('loadConfig: keys and protected mode', () => {
  const key = 'a-key-of-sixteen-chars';

  it('listens on this machine only by default, with no keys', () => {
    expect(loadConfig({})).toMatchObject({ host: '127.0.0.1', keys: { api: [], admin: [] } });
  });

  it('reads comma-separated keys, trimmed, and keeps only their digests', () => {
    expect(loadConfig({ API_KEYS: ` ${key}1 , ${key}2 `, ADMIN_KEYS: `${key}3` }).keys).toEqual({
      api: [keyDigest(`${key}1`), keyDigest(`${key}2`)],
      admin: [keyDigest(`${key}3`)],
    });
  });

  describe('files of hashed keys', () => {
    let dir: string;
    beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'key-file-'))));
    afterEach(() => rmSync(dir, { recursive: true, force: true }));
    const file = (name: string, text: string) => {
      writeFileSync(join(dir, name), text);
      return join(dir, name);
    };
    const line = (k: string) => `sha256:${keyDigest(k).toString('hex')}`;

    it('adds the digests of API_KEYS_FILE and ADMIN_KEYS_FILE, skipping comments, blank lines and names', () => {
      const api = file(
        'api',
        `# uploaders\n${line(`${key}1`)} alice-laptop\n\n${line(`${key}2`).toUpperCase()}\n`,
      );
      const admin = file('admin', `${line(`${key}3`)}\n`);
      const config = loadConfig({ API_KEYS: `${key}0`, API_KEYS_FILE: api, ADMIN_KEYS_FILE: admin });
      expect(config.keys).toEqual({
        api: [keyDigest(`${key}0`), keyDigest(`${key}1`), keyDigest(`${key}2`)],
        admin: [keyDigest(`${key}3`)],
      });
      expect(loadConfig({ HOST: '0.0.0.0', ADMIN_KEYS_FILE: admin }).host).toBe('0.0.0.0');
    });

    it('refuses a bad line by its number, without printing it', () => {
      const bad = file('bad', `${line(key)}\nmy-plain-secret-key-oops\n`);
      expect(() => loadConfig({ API_KEYS_FILE: bad })).toThrow(/API_KEYS_FILE: line 2 of .* is not "sha256:/);
      expect(() => loadConfig({ API_KEYS_FILE: bad })).not.toThrow(/oops/);
    });

    it('refuses a file that is missing or holds no key', () => {
      expect(() => loadConfig({ ADMIN_KEYS_FILE: join(dir, 'none') })).toThrow(
        /ADMIN_KEYS_FILE: cannot read/,
      );
      expect(() => loadConfig({ API_KEYS_FILE: file('empty', '# nobody yet\n') })).toThrow(/holds no key/);
    });
  });

  it('refuses a key shorter than 16 characters, without printing it', () => {
    expect(() => loadConfig({ API_KEYS: 'short-secret' })).toThrow(/at least 16 characters/);
    expect(() => loadConfig({ API_KEYS: 'short-secret' })).not.toThrow(/short-secret/);
  });

  it.each(['0.0.0.0', '::', '10.0.0.5'])('refuses %s with no keys, saying how to set them', (host) => {
    expect(() => loadConfig({ HOST: host })).toThrow(/set API_KEYS.*ALLOW_ANONYMOUS=true/);
  });

  it.each([
    ['with an API key', { API_KEYS: key }],
    ['with an admin key', { ADMIN_KEYS: key }],
    ['knowingly open', { ALLOW_ANONYMOUS: 'true' }],
  ])('takes a public address %s', (_, env) => {
    expect(loadConfig({ HOST: '0.0.0.0', ...env }).host).toBe('0.0.0.0');
  });

  it.each(['localhost', '127.0.0.2', '::1'])('takes the loopback address %s with no keys', (host) => {
    expect(loadConfig({ HOST: host }).host).toBe(host);
  });
});

describe('loadConfig: webhooks', () => {
  it('refuses every callback by default, and retries 10 times from 1 s up to 5 minutes apart', () => {
    expect(loadConfig({}).webhooks).toEqual({
      allowedHosts: [],
      secret: undefined,
      maxAttempts: 10,
      retryBaseMs: 1_000,
      retryMaxMs: 300_000,
      timeoutMs: 10_000,
    });
  });

  it('reads the allowed hosts, lower-cased, with the secret they need', () => {
    const { webhooks } = loadConfig({
      WEBHOOK_ALLOWED_HOSTS: 'Hooks.Example.com, 10.0.0.5:8080,[::1]:9000',
      WEBHOOK_SECRET: 'whsec-0123456789abcdef',
      WEBHOOK_MAX_ATTEMPTS: '3',
    });
    expect(webhooks).toMatchObject({
      allowedHosts: ['hooks.example.com', '10.0.0.5:8080', '[::1]:9000'],
      secret: 'whsec-0123456789abcdef',
      maxAttempts: 3,
    });
  });

  it('refuses allowed hosts without a secret, a short secret, and an entry that is not a host', () => {
    expect(() => loadConfig({ WEBHOOK_ALLOWED_HOSTS: 'hooks.example.com' })).toThrow(/set WEBHOOK_SECRET/);
    expect(() => loadConfig({ WEBHOOK_SECRET: 'short' })).toThrow(/WEBHOOK_SECRET.*at least 16/);
    expect(() =>
      loadConfig({
        WEBHOOK_ALLOWED_HOSTS: 'https://hooks.example.com/x',
        WEBHOOK_SECRET: 'whsec-0123456789abcdef',
      }),
    ).toThrow(/WEBHOOK_ALLOWED_HOSTS.*host name/);
  });
});
