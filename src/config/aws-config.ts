import { z } from 'zod';
import type { Ec2InstanceSettings, Ec2LaunchTemplate } from '../adapters/aws/ec2-launch';
import { commaSeparated, parseEnv, positiveInt } from './env';

const QUEUE_NAME = /^[A-Za-z0-9_-]{1,80}$/;
// S3's rules for new buckets: 3–63 lowercase letters, digits, dots and hyphens, starting and
// ending with a letter or digit, no "..", not shaped like an IP address.
const BUCKET_NAME = /^(?!\d+\.\d+\.\d+\.\d+$)(?!.*\.\.)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

const queueName = () =>
  z.string().regex(QUEUE_NAME, "a standard queue name: 1–80 letters, digits, '-' or '_'").optional();

/** Suffixes of the default queue names, after the deployment name: 12 characters at most. */
const QUEUE_SUFFIXES = {
  requests: '-requests',
  responses: '-responses',
  deadLetter: '-dead-letter',
} as const;
const DEPLOYMENT_NAME = /^[A-Za-z0-9_-]{1,63}$/;

/**
 * The deployment's name (env DEPLOYMENT_NAME): the prefix of its queues' default names and its
 * default `fleet` tag, so that two deployments in one account share neither. Default: the
 * bucket's name with dots as hyphens (bucket names are unique across AWS).
 */
export function deploymentName(env: NodeJS.ProcessEnv): string {
  return env.DEPLOYMENT_NAME ?? (env.S3_BUCKET ?? '').replaceAll('.', '-');
}

/** `true`/`false`/`1`/`0`, as environment variables spell them. */
const flag = () =>
  z
    .enum(['true', 'false', '1', '0'], { message: 'expected true or false' })
    .default('false')
    .transform((value) => value === 'true' || value === '1');

const awsSchema = z.object({
  AWS_REGION: z.string({ message: 'required (for example us-east-1)' }).min(1),
  AWS_ENDPOINT_URL_SQS: z.url().optional(),
  AWS_ENDPOINT_URL_S3: z.url().optional(),
  S3_FORCE_PATH_STYLE: flag(),
  DEPLOYMENT_NAME: z
    .string()
    .regex(DEPLOYMENT_NAME, "1–63 letters, digits, '-' or '_' (it prefixes the queue names)")
    .optional(),
  SQS_REQUEST_QUEUE: queueName(),
  SQS_RESPONSE_QUEUE: queueName(),
  SQS_DEAD_LETTER_QUEUE: queueName(),
  S3_BUCKET: z
    .string({ message: 'required: the bucket for inputs and outputs' })
    .regex(BUCKET_NAME, 'an S3 bucket name: 3–63 lowercase letters, digits, dots or hyphens'),
});

/**
 * Where the `aws` profile finds its queues and bucket. Credentials come from the SDK's default
 * chain (environment, shared files, SSO, the instance profile on EC2); they are never read here.
 */
export interface AwsConfig {
  /** Region of the queues, the bucket and the instances (env AWS_REGION, required). */
  region: string;
  /** SQS endpoint instead of AWS's, e.g. an SQS-compatible server (env AWS_ENDPOINT_URL_SQS, default: AWS). */
  sqsEndpoint?: string;
  /** S3 endpoint instead of AWS's (env AWS_ENDPOINT_URL_S3, default: AWS). */
  s3Endpoint?: string;
  /** Path-style S3 URLs, which S3-compatible servers need (env S3_FORCE_PATH_STYLE, default false). */
  s3ForcePathStyle: boolean;
  /** The deployment's name, see {@link deploymentName} (env DEPLOYMENT_NAME, default: from S3_BUCKET). */
  deployment: string;
  /**
   * Queue names (env SQS_REQUEST_QUEUE, SQS_RESPONSE_QUEUE, SQS_DEAD_LETTER_QUEUE; defaults
   * `<deployment>-requests`, `<deployment>-responses`, `<deployment>-dead-letter`).
   */
  queues: { requests: string; responses: string; deadLetter: string };
  /** The bucket holding `inputs/` and `outputs/` (env S3_BUCKET, required). */
  bucket: string;
}

/** Reads the `aws` profile's settings; every problem is named in one `InvalidConfigError`. */
export function loadAwsConfig(env: NodeJS.ProcessEnv): AwsConfig {
  const e = parseEnv(awsSchema, env, 'AWS configuration');
  const deployment = deploymentName(env);
  return {
    region: e.AWS_REGION,
    sqsEndpoint: e.AWS_ENDPOINT_URL_SQS,
    s3Endpoint: e.AWS_ENDPOINT_URL_S3,
    s3ForcePathStyle: e.S3_FORCE_PATH_STYLE,
    deployment,
    queues: {
      requests: e.SQS_REQUEST_QUEUE ?? deployment + QUEUE_SUFFIXES.requests,
      responses: e.SQS_RESPONSE_QUEUE ?? deployment + QUEUE_SUFFIXES.responses,
      deadLetter: e.SQS_DEAD_LETTER_QUEUE ?? deployment + QUEUE_SUFFIXES.deadLetter,
    },
    bucket: e.S3_BUCKET,
  };
}

/**
 * The environment a worker needs to reach the same queues and bucket: what it gets from the
 * control plane, in its process environment or, on EC2, in the file its user-data writes.
 */
export function awsWorkerEnv(config: AwsConfig): Record<string, string> {
  return {
    PROFILE: 'aws',
    AWS_REGION: config.region,
    ...(config.sqsEndpoint ? { AWS_ENDPOINT_URL_SQS: config.sqsEndpoint } : {}),
    ...(config.s3Endpoint ? { AWS_ENDPOINT_URL_S3: config.s3Endpoint } : {}),
    S3_FORCE_PATH_STYLE: String(config.s3ForcePathStyle),
    SQS_REQUEST_QUEUE: config.queues.requests,
    SQS_RESPONSE_QUEUE: config.queues.responses,
    SQS_DEAD_LETTER_QUEUE: config.queues.deadLetter,
    S3_BUCKET: config.bucket,
  };
}

const ec2Schema = z
  .object({
    EC2_LAUNCH_TEMPLATE_ID: z.string().min(1).optional(),
    EC2_LAUNCH_TEMPLATE_NAME: z.string().min(1).optional(),
    EC2_LAUNCH_TEMPLATE_VERSION: z.string().min(1).optional(),
    EC2_AMI_ID: z.string().min(1).optional(),
    EC2_INSTANCE_TYPE: z.string().min(1).optional(),
    EC2_SUBNET_ID: z.string().min(1).optional(),
    EC2_SECURITY_GROUP_IDS: commaSeparated(),
    EC2_INSTANCE_PROFILE: z.string().min(1).optional(),
    EC2_KEY_NAME: z.string().min(1).optional(),
    EC2_INSTANCE_CAP: positiveInt().default(20),
    FLEET_ID: z.string().min(1).max(256).optional(),
  })
  .refine((e) => !(e.EC2_LAUNCH_TEMPLATE_ID && e.EC2_LAUNCH_TEMPLATE_NAME), {
    message: 'name the launch template by id or by name, not both',
    path: ['EC2_LAUNCH_TEMPLATE_ID'],
  })
  .refine(
    (e) => e.EC2_LAUNCH_TEMPLATE_ID || e.EC2_LAUNCH_TEMPLATE_NAME || (e.EC2_AMI_ID && e.EC2_INSTANCE_TYPE),
    {
      message:
        'EC2 workers need a launch template (EC2_LAUNCH_TEMPLATE_ID or _NAME) or EC2_AMI_ID with EC2_INSTANCE_TYPE',
      path: ['EC2_LAUNCH_TEMPLATE_ID'],
    },
  );

/** How the control plane launches workers as EC2 instances (`COMPUTE=ec2`). */
export interface Ec2Config {
  /** Launch template by id or name, with its version (env EC2_LAUNCH_TEMPLATE_ID / _NAME / _VERSION, version default `$Default`). */
  launchTemplate?: Ec2LaunchTemplate;
  /** Instance settings without a template, or overriding it (env EC2_AMI_ID, EC2_INSTANCE_TYPE, EC2_SUBNET_ID, EC2_SECURITY_GROUP_IDS comma-separated, EC2_INSTANCE_PROFILE name or ARN, EC2_KEY_NAME). */
  instance: Ec2InstanceSettings;
  /** Most live instances in the region, the account's limit as the original had it (env EC2_INSTANCE_CAP, default 20). */
  instanceCap: number;
  /** The `fleet` tag that marks this deployment's workers (env FLEET_ID, default: the deployment's name, see {@link deploymentName}). */
  fleetId: string;
}

/** Reads the EC2 compute settings; every problem is named in one `InvalidConfigError`. */
export function loadEc2Config(env: NodeJS.ProcessEnv): Ec2Config {
  const e = parseEnv(ec2Schema, env, 'EC2 configuration');
  const templateNamed = e.EC2_LAUNCH_TEMPLATE_ID || e.EC2_LAUNCH_TEMPLATE_NAME;
  const profile = e.EC2_INSTANCE_PROFILE;
  return {
    launchTemplate: templateNamed
      ? {
          id: e.EC2_LAUNCH_TEMPLATE_ID,
          name: e.EC2_LAUNCH_TEMPLATE_NAME,
          version: e.EC2_LAUNCH_TEMPLATE_VERSION,
        }
      : undefined,
    instance: {
      imageId: e.EC2_AMI_ID,
      instanceType: e.EC2_INSTANCE_TYPE,
      subnetId: e.EC2_SUBNET_ID,
      securityGroupIds: e.EC2_SECURITY_GROUP_IDS?.length ? e.EC2_SECURITY_GROUP_IDS : undefined,
      instanceProfile: profile
        ? profile.startsWith('arn:')
          ? { arn: profile }
          : { name: profile }
        : undefined,
      keyName: e.EC2_KEY_NAME,
    },
    instanceCap: e.EC2_INSTANCE_CAP,
    fleetId: e.FLEET_ID ?? (deploymentName(env) || 'default'),
  };
}
