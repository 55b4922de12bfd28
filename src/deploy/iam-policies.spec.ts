import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadAwsConfig } from '../config/aws-config';
import { InvalidConfigError } from '../config/env';
import { findRepoRoot } from '../models/model-sources';
import { runInstancesInput } from '../adapters/aws/ec2-launch';
import { placeholdersIn, POLICY_PLACEHOLDERS, policyValues, renderPolicy } from './iam-policy-renderer';

const REPO_ROOT = findRepoRoot(__dirname);
const IAM_DIR = join(REPO_ROOT, 'deploy', 'iam');
const ADAPTERS_DIR = join(REPO_ROOT, 'src', 'adapters');

type Role = 'controlPlane' | 'worker';

/**
 * Every SDK command that the adapters send, the IAM actions it needs, and which role is granted
 * them. A new command in the adapters fails the first test until it is decided here.
 */
const COMMANDS: Record<string, { actions: string[]; roles: Role[]; why: string }> = {
  GetQueueUrlCommand: {
    actions: ['sqs:GetQueueUrl'],
    roles: ['controlPlane', 'worker'],
    why: 'both find the three queues at start',
  },
  SendMessageCommand: {
    actions: ['sqs:SendMessage'],
    roles: ['controlPlane', 'worker'],
    why: 'jobs; worker reports',
  },
  SendMessageBatchCommand: {
    actions: ['sqs:SendMessage'],
    roles: ['controlPlane', 'worker'],
    why: 'as SendMessage',
  },
  ReceiveMessageCommand: {
    actions: ['sqs:ReceiveMessage'],
    roles: ['controlPlane', 'worker'],
    why: 'reports; jobs',
  },
  DeleteMessageCommand: {
    actions: ['sqs:DeleteMessage'],
    roles: ['controlPlane', 'worker'],
    why: 'after handling',
  },
  DeleteMessageBatchCommand: {
    actions: ['sqs:DeleteMessage'],
    roles: ['controlPlane', 'worker'],
    why: 'as DeleteMessage',
  },
  ChangeMessageVisibilityCommand: {
    actions: ['sqs:ChangeMessageVisibility'],
    roles: ['worker'],
    why: 'heartbeat while classifying',
  },
  GetQueueAttributesCommand: {
    actions: ['sqs:GetQueueAttributes'],
    roles: ['controlPlane', 'worker'],
    why: 'backlog for scaling, /health, metrics; a worker filling a short batch (BATCH_WAIT_MS)',
  },
  HeadBucketCommand: {
    actions: ['s3:ListBucket'],
    roles: ['controlPlane', 'worker'],
    why: 'both check the bucket at start',
  },
  GetObjectCommand: { actions: ['s3:GetObject'], roles: ['worker'], why: 'the worker reads inputs' },
  HeadObjectCommand: {
    actions: ['s3:GetObject'],
    roles: ['controlPlane'],
    why: '/health probes health/probe',
  },
  PutObjectCommand: { actions: ['s3:PutObject'], roles: ['controlPlane', 'worker'], why: 'uploads; outputs' },
  CreateMultipartUploadCommand: {
    actions: ['s3:PutObject'],
    roles: ['controlPlane'],
    why: 'long stream uploads',
  },
  UploadPartCommand: { actions: ['s3:PutObject'], roles: ['controlPlane'], why: 'long stream uploads' },
  CompleteMultipartUploadCommand: {
    actions: ['s3:PutObject'],
    roles: ['controlPlane'],
    why: 'long stream uploads',
  },
  AbortMultipartUploadCommand: {
    actions: ['s3:AbortMultipartUpload'],
    roles: ['controlPlane'],
    why: 'a failed upload',
  },
  ListObjectsV2Command: {
    actions: ['s3:ListBucket'],
    roles: [],
    why: 'no caller in the app (ListBucket comes with HeadBucket)',
  },
  DeleteObjectCommand: {
    actions: ['s3:DeleteObject'],
    roles: ['controlPlane'],
    why: 'the retention sweep deletes inputs and outputs of jobs past RETENTION_DAYS',
  },
  DescribeInstancesCommand: {
    actions: ['ec2:DescribeInstances'],
    roles: ['controlPlane'],
    why: 'fleet polling, cap',
  },
  RunInstancesCommand: {
    actions: ['ec2:RunInstances', 'ec2:CreateTags', 'iam:PassRole'],
    roles: ['controlPlane'],
    why: 'launch with TagSpecifications and the worker instance profile',
  },
  TerminateInstancesCommand: {
    actions: ['ec2:TerminateInstances'],
    roles: ['controlPlane'],
    why: 'scale in',
  },
};

interface Statement {
  Sid: string;
  Effect: string;
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string>>;
}

const list = (value: string | string[]) => (Array.isArray(value) ? value : [value]);
const readPolicy = (file: string) => readFileSync(join(IAM_DIR, file), 'utf8');
const statementsOf = (file: string) => (JSON.parse(readPolicy(file)) as { Statement: Statement[] }).Statement;
const POLICY_FILES: Record<Role, string> = {
  controlPlane: 'control-plane-policy.json',
  worker: 'worker-policy.json',
};

/** Names of the SDK commands that the non-test sources under `dir` send. */
function commandsSentIn(dir: string): Set<string> {
  const names = new Set<string>();
  for (const file of readdirSync(dir, { recursive: true }) as string[]) {
    if (!file.endsWith('.ts') || file.endsWith('.spec.ts')) continue;
    const source = readFileSync(join(dir, file), 'utf8');
    for (const [, name] of source.matchAll(/new (\w+Command)\(/g)) names.add(name);
  }
  return names;
}

/** Resources of the statements that allow `action`. */
function resourcesFor(file: string, action: string): string[] {
  return statementsOf(file)
    .filter((statement) => list(statement.Action).includes(action))
    .flatMap((statement) => list(statement.Resource));
}

describe('the IAM policies in deploy/iam', () => {
  it('decide every SDK command the adapters send, and no command they do not', () => {
    const sent = commandsSentIn(ADAPTERS_DIR);
    expect([...sent].filter((name) => !COMMANDS[name]).sort()).toEqual([]);
    expect(
      Object.keys(COMMANDS)
        .filter((name) => !sent.has(name))
        .sort(),
    ).toEqual([]);
  });

  it.each(Object.entries(POLICY_FILES))('allow the %s exactly the actions of its commands', (role, file) => {
    const needed = new Set(
      Object.values(COMMANDS).flatMap((command) =>
        command.roles.includes(role as Role) ? command.actions : [],
      ),
    );
    const allowed = new Set(statementsOf(file).flatMap((statement) => list(statement.Action)));
    expect([...allowed].sort()).toEqual([...needed].sort());
  });

  it.each(readdirSync(IAM_DIR).filter((file) => file.endsWith('.json')))(
    '%s is an Allow-only policy without wildcard actions, with known placeholders',
    (file) => {
      const document = JSON.parse(readPolicy(file)) as { Version: string; Statement: Statement[] };
      expect(document.Version).toBe('2012-10-17');
      for (const statement of document.Statement) {
        expect(statement.Sid).toMatch(/^[A-Za-z0-9]+$/);
        expect(statement.Effect).toBe('Allow');
        expect(Object.keys(statement)).not.toEqual(expect.arrayContaining(['NotAction']));
        for (const action of list(statement.Action)) expect(action).not.toContain('*');
      }
      expect(() => placeholdersIn(readPolicy(file))).not.toThrow();
    },
  );

  it('grant "*" as a resource only to ec2:DescribeInstances, which has no resource-level permissions', () => {
    const everything = Object.values(POLICY_FILES)
      .flatMap(statementsOf)
      .filter((statement) => list(statement.Resource).includes('*'));
    expect(everything.map((statement) => list(statement.Action))).toEqual([['ec2:DescribeInstances']]);
  });

  it('let the worker take jobs only from the request queue, report only to the response queue, and touch only inputs and outputs', () => {
    const worker = POLICY_FILES.worker;
    const requests = 'arn:aws:sqs:{{REGION}}:{{ACCOUNT_ID}}:{{REQUEST_QUEUE}}';
    for (const action of ['sqs:ReceiveMessage', 'sqs:ChangeMessageVisibility', 'sqs:DeleteMessage']) {
      expect(resourcesFor(worker, action)).toEqual([requests]);
    }
    expect(resourcesFor(worker, 'sqs:SendMessage')).toEqual([
      'arn:aws:sqs:{{REGION}}:{{ACCOUNT_ID}}:{{RESPONSE_QUEUE}}',
    ]);
    expect(resourcesFor(worker, 's3:GetObject')).toEqual(['arn:aws:s3:::{{BUCKET}}/inputs/*']);
    expect(resourcesFor(worker, 's3:PutObject')).toEqual(['arn:aws:s3:::{{BUCKET}}/outputs/*']);
  });

  it('let the control plane launch, tag and terminate only its own fleet’s workers, and pass only the worker role', () => {
    const statements = statementsOf(POLICY_FILES.controlPlane);
    const requestTags = {
      'aws:RequestTag/project': 'elastic-image-recognition',
      'aws:RequestTag/role': 'worker',
      'aws:RequestTag/fleet': '{{FLEET_ID}}',
    };
    const launching = (resource: string) =>
      statements.find((s) => s.Action === 'ec2:RunInstances' && list(s.Resource).includes(resource));
    const instances = launching('arn:aws:ec2:{{REGION}}:{{ACCOUNT_ID}}:instance/*');
    expect(instances?.Condition).toEqual({
      StringEquals: { ...requestTags, 'ec2:MetadataHttpTokens': 'required' },
      StringLike: { 'ec2:InstanceType': '{{INSTANCE_TYPE}}' },
    });
    expect(launching('arn:aws:ec2:{{REGION}}:{{ACCOUNT_ID}}:volume/*')?.Condition).toEqual({
      StringEquals: requestTags,
    });
    const terminate = statements.find((s) => s.Action === 'ec2:TerminateInstances');
    expect(terminate?.Condition?.StringEquals).toEqual({
      'aws:ResourceTag/project': 'elastic-image-recognition',
      'aws:ResourceTag/role': 'worker',
      'aws:ResourceTag/fleet': '{{FLEET_ID}}',
    });
    const tag = statements.find((s) => s.Action === 'ec2:CreateTags');
    expect(tag?.Condition?.StringEquals).toEqual({
      'ec2:CreateAction': 'RunInstances',
      'aws:RequestTag/fleet': '{{FLEET_ID}}',
    });
    expect(resourcesFor(POLICY_FILES.controlPlane, 'iam:PassRole')).toEqual([
      'arn:aws:iam::{{ACCOUNT_ID}}:role/{{WORKER_ROLE_NAME}}',
    ]);
    expect(resourcesFor(POLICY_FILES.controlPlane, 'ec2:RunInstances')).toContain(
      'arn:aws:ec2:{{REGION}}:{{ACCOUNT_ID}}:launch-template/*',
    );
  });

  it('match what the EC2 adapter puts in its launches: the tags the conditions name, and IMDSv2 required', () => {
    const spec = {
      project: 'elastic-image-recognition',
      fleetId: 'f1',
      instance: { imageId: 'ami-1', instanceType: 't3.micro' },
    };
    const input = runInstancesInput(spec, { workerId: 'w-1', env: {} });
    const tags = Object.fromEntries(input.TagSpecifications![0].Tags!.map((tag) => [tag.Key, tag.Value]));
    expect(tags).toMatchObject({ project: 'elastic-image-recognition', role: 'worker', fleet: 'f1' });
    expect(input.MetadataOptions).toEqual({ HttpTokens: 'required', HttpEndpoint: 'enabled' });
  });
});

describe('rendering the policies', () => {
  const aws = loadAwsConfig({ AWS_REGION: 'eu-west-1', S3_BUCKET: 'eir-example' });

  it('fills every placeholder from the configuration, AWS_ACCOUNT_ID and WORKER_ROLE_NAME', () => {
    const values = policyValues(aws, { AWS_ACCOUNT_ID: '123456789012' });
    expect(Object.keys(values).sort()).toEqual([...POLICY_PLACEHOLDERS].sort());

    const rendered = renderPolicy(readPolicy(POLICY_FILES.worker), values);

    expect(rendered).not.toContain('{{');
    const resources = (JSON.parse(rendered) as { Statement: Statement[] }).Statement.flatMap((s) =>
      list(s.Resource),
    );
    expect(resources).toEqual(
      expect.arrayContaining([
        'arn:aws:sqs:eu-west-1:123456789012:eir-example-requests',
        'arn:aws:sqs:eu-west-1:123456789012:eir-example-responses',
        'arn:aws:sqs:eu-west-1:123456789012:eir-example-dead-letter',
        'arn:aws:s3:::eir-example/inputs/*',
      ]),
    );
    const controlPlane = renderPolicy(readPolicy(POLICY_FILES.controlPlane), values);
    expect(controlPlane).toContain('"arn:aws:iam::123456789012:role/eir-worker"');
    expect(controlPlane).toContain('"aws:ResourceTag/fleet": "eir-example"');
    expect(controlPlane).toContain('"ec2:InstanceType": "t3.micro"');
    const chosen = renderPolicy(
      readPolicy(POLICY_FILES.controlPlane),
      policyValues(aws, { AWS_ACCOUNT_ID: '123456789012', FLEET_ID: 'blue', ALLOWED_INSTANCE_TYPE: 'c7g.*' }),
    );
    expect(chosen).toContain('"aws:RequestTag/fleet": "blue"');
    expect(chosen).toContain('"ec2:InstanceType": "c7g.*"');
  });

  it('names a missing account id and a bad role name', () => {
    expect(() => policyValues(aws, {})).toThrow(InvalidConfigError);
    expect(() => policyValues(aws, {})).toThrow(/AWS_ACCOUNT_ID/);
    expect(() => policyValues(aws, { AWS_ACCOUNT_ID: '1234' })).toThrow(/12-digit/);
    expect(() =>
      policyValues(aws, { AWS_ACCOUNT_ID: '123456789012', WORKER_ROLE_NAME: 'no spaces' }),
    ).toThrow(/WORKER_ROLE_NAME/);
  });

  it('refuses an unknown placeholder, and a value that is missing', () => {
    const values = policyValues(aws, { AWS_ACCOUNT_ID: '123456789012' });
    expect(() => renderPolicy('{"a":"{{ACCOUNT}}"}', values)).toThrow(/Unknown placeholder \{\{ACCOUNT\}\}/);
    expect(() => renderPolicy('{"a":"{{BUCKET}}"}', { ...values, BUCKET: '' })).toThrow(
      /No value for \{\{BUCKET\}\}/,
    );
  });
});
