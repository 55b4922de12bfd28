import {
  BucketLocationConstraint,
  CreateBucketCommand,
  GetBucketEncryptionCommand,
  GetBucketLifecycleConfigurationCommand,
  LifecycleRule,
  GetBucketOwnershipControlsCommand,
  GetPublicAccessBlockCommand,
  HeadBucketCommand,
  PublicAccessBlockConfiguration,
  PutBucketEncryptionCommand,
  PutBucketLifecycleConfigurationCommand,
  PutBucketOwnershipControlsCommand,
  PutPublicAccessBlockCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { awsErrorCode, awsHttpStatus } from '../adapters/aws/aws-errors';
import { DeployError, ProvisionStep } from './deploy-report';

/** A setting of the bucket: how to read whether it holds, and how to apply it. */
interface BucketSetting {
  label: string;
  /** Throws {@link EndpointLacksSetting} when the endpoint cannot say. */
  read(client: S3Client, bucket: string): Promise<{ satisfied: boolean; found: string }>;
  apply(client: S3Client, bucket: string): Promise<void>;
}

/** The endpoint answered in a way only an S3 look-alike does: it does not implement the setting. */
class EndpointLacksSetting extends Error {}

const BLOCK_ALL_PUBLIC_ACCESS: Required<PublicAccessBlockConfiguration> = {
  BlockPublicAcls: true,
  IgnorePublicAcls: true,
  BlockPublicPolicy: true,
  RestrictPublicBuckets: true,
};

const ENCRYPTED = new Set(['AES256', 'aws:kms', 'aws:kms:dsse']);

const DEFAULT_ENCRYPTION: BucketSetting = {
  label: 'default encryption',
  read: async (client, bucket) => {
    try {
      const output = await client.send(new GetBucketEncryptionCommand({ Bucket: bucket }));
      const algorithms = (output.ServerSideEncryptionConfiguration?.Rules ?? []).flatMap(
        (rule) => rule.ApplyServerSideEncryptionByDefault?.SSEAlgorithm ?? [],
      );
      const algorithm = algorithms.find((each) => ENCRYPTED.has(each));
      return { satisfied: Boolean(algorithm), found: algorithm ?? 'none' };
    } catch (error) {
      if (awsErrorCode(error) === 'ServerSideEncryptionConfigurationNotFoundError') {
        return { satisfied: false, found: 'none' };
      }
      throw error;
    }
  },
  apply: async (client, bucket) => {
    await client.send(
      new PutBucketEncryptionCommand({
        Bucket: bucket,
        ServerSideEncryptionConfiguration: {
          Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' }, BucketKeyEnabled: true }],
        },
      }),
    );
  },
};

const PUBLIC_ACCESS_BLOCK: BucketSetting = {
  label: 'public access block',
  read: async (client, bucket) => {
    try {
      const output = await client.send(new GetPublicAccessBlockCommand({ Bucket: bucket }));
      const actual = output.PublicAccessBlockConfiguration ?? {};
      const off = Object.keys(BLOCK_ALL_PUBLIC_ACCESS).filter(
        (key) => actual[key as keyof PublicAccessBlockConfiguration] !== true,
      );
      return { satisfied: off.length === 0, found: off.length ? `off: ${off.join(', ')}` : 'all four on' };
    } catch (error) {
      if (awsErrorCode(error) === 'NoSuchPublicAccessBlockConfiguration')
        return { satisfied: false, found: 'none' };
      throw error;
    }
  },
  apply: async (client, bucket) => {
    await client.send(
      new PutPublicAccessBlockCommand({
        Bucket: bucket,
        PublicAccessBlockConfiguration: BLOCK_ALL_PUBLIC_ACCESS,
      }),
    );
  },
};

const OBJECT_OWNERSHIP: BucketSetting = {
  label: 'object ownership BucketOwnerEnforced (ACLs disabled)',
  read: async (client, bucket) => {
    try {
      const output = await client.send(new GetBucketOwnershipControlsCommand({ Bucket: bucket }));
      const rules = output.OwnershipControls?.Rules;
      // S3 answers OwnershipControlsNotFoundError, never an empty document; s3rver ignores the
      // subresource and answers as for the bucket itself.
      if (!rules)
        throw new EndpointLacksSetting('GetBucketOwnershipControls answered without ownership rules');
      const ownership = rules.map((rule) => rule.ObjectOwnership).join(', ') || 'none';
      return { satisfied: ownership === 'BucketOwnerEnforced', found: ownership };
    } catch (error) {
      if (awsErrorCode(error) === 'OwnershipControlsNotFoundError')
        return { satisfied: false, found: 'none' };
      throw error;
    }
  },
  apply: async (client, bucket) => {
    await client.send(
      new PutBucketOwnershipControlsCommand({
        Bucket: bucket,
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      }),
    );
  },
};

/** The lifecycle rules this service owns start with this id; other rules in the bucket are kept. */
const OWN_RULE_PREFIX = 'eir-';

/**
 * The rules matching the retention sweep (RETENTION_DAYS): S3 expires what is under `inputs/`
 * and `outputs/` that many days after it was written (a job ends seconds after its upload, so
 * this is the sweep's deadline, give or take), and aborts multipart uploads left unfinished for a
 * day. A backstop for the sweep, and what keeps the bucket bounded if no control plane runs.
 */
export function retentionRules(days: number): LifecycleRule[] {
  const expire = (prefix: string): LifecycleRule => ({
    ID: `${OWN_RULE_PREFIX}expire-${prefix.replace('/', '')}`,
    Status: 'Enabled',
    Filter: { Prefix: prefix },
    Expiration: { Days: days },
  });
  return [
    expire('inputs/'),
    expire('outputs/'),
    {
      ID: `${OWN_RULE_PREFIX}abort-incomplete-uploads`,
      Status: 'Enabled',
      Filter: { Prefix: '' },
      AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
    },
  ];
}

async function lifecycleRules(client: S3Client, bucket: string): Promise<LifecycleRule[]> {
  try {
    const output = await client.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket }));
    // S3 answers NoSuchLifecycleConfiguration, never an empty document; s3rver answers as for
    // the bucket itself.
    if (!output.Rules)
      throw new EndpointLacksSetting('GetBucketLifecycleConfiguration answered without rules');
    return output.Rules;
  } catch (error) {
    if (awsErrorCode(error) === 'NoSuchLifecycleConfiguration') return [];
    throw error;
  }
}

const ownRules = (rules: LifecycleRule[]) => rules.filter((rule) => rule.ID?.startsWith(OWN_RULE_PREFIX));

function retentionLifecycle(days: number): BucketSetting {
  const wanted = retentionRules(days);
  return {
    label: `lifecycle: inputs and outputs expire after ${days} days`,
    read: async (client, bucket) => {
      const own = ownRules(await lifecycleRules(client, bucket));
      const describe = (rules: LifecycleRule[]) =>
        JSON.stringify(
          rules.map(({ ID, Status, Filter, Expiration, AbortIncompleteMultipartUpload }) => ({
            ID,
            Status,
            Filter,
            Expiration,
            AbortIncompleteMultipartUpload,
          })),
        );
      return {
        satisfied: describe(own) === describe(wanted),
        found: own.length
          ? own.map((rule) => `${rule.ID} ${rule.Expiration?.Days ?? ''}`.trim()).join(', ')
          : 'none',
      };
    },
    apply: async (client, bucket) => {
      const others = (await lifecycleRules(client, bucket)).filter(
        (rule) => !rule.ID?.startsWith(OWN_RULE_PREFIX),
      );
      await client.send(
        new PutBucketLifecycleConfigurationCommand({
          Bucket: bucket,
          LifecycleConfiguration: { Rules: [...others, ...wanted] },
        }),
      );
    },
  };
}

/** How {@link provisionBucket} sets the bucket up beyond its safe defaults. */
export interface BucketOptions {
  /** Days after which inputs and outputs expire (RETENTION_DAYS); 0 adds no expiry rule. */
  retentionDays: number;
}

/**
 * Creates or verifies the bucket, then reads each safe default (SSE-S3 default encryption, or a
 * KMS one already there; all four public access blocks; BucketOwnerEnforced ownership) and the
 * retention lifecycle ({@link retentionRules}), and applies the ones that are missing. A setting
 * the endpoint does not implement (`NotImplemented`, as S3-compatible test servers answer) is
 * reported as not supported and skipped; S3 implements all. Returns one step for the bucket and
 * one per setting; throws {@link DeployError}.
 */
export async function provisionBucket(
  client: S3Client,
  bucket: string,
  region: string,
  { retentionDays }: BucketOptions,
): Promise<ProvisionStep[]> {
  const subject = `S3 bucket ${bucket}`;
  const settings = [
    DEFAULT_ENCRYPTION,
    PUBLIC_ACCESS_BLOCK,
    OBJECT_OWNERSHIP,
    ...(retentionDays > 0 ? [retentionLifecycle(retentionDays)] : []),
  ];
  const steps: ProvisionStep[] = [await ensureBucket(client, subject, bucket, region)];
  for (const setting of settings) steps.push(await ensureSetting(client, subject, bucket, setting));
  return steps;
}

/**
 * Whether the bucket exists (HeadBucket). Throws a {@link DeployError} that says what to do when
 * it exists but is not usable: another account's name (bucket names are global), or another region.
 */
export async function bucketExists(client: S3Client, bucket: string, region: string): Promise<boolean> {
  try {
    await client.send(new HeadBucketCommand({ Bucket: bucket }));
    return true;
  } catch (error) {
    const status = awsHttpStatus(error);
    if (status === 404) return false;
    const hint =
      status === 403
        ? "The name exists but these credentials may not use it: bucket names are global, so it may be another account's bucket (choose another S3_BUCKET), or the credentials lack s3:ListBucket"
        : status === 301
          ? `The bucket exists in another region than AWS_REGION=${region}`
          : undefined;
    throw new DeployError(`S3 bucket ${bucket}`, 'HeadBucket', { cause: error, hint });
  }
}

async function ensureBucket(
  client: S3Client,
  subject: string,
  bucket: string,
  region: string,
): Promise<ProvisionStep> {
  if (await bucketExists(client, bucket, region)) return { subject, outcome: 'already-existed' };
  try {
    await client.send(
      new CreateBucketCommand({
        Bucket: bucket,
        ObjectOwnership: 'BucketOwnerEnforced',
        // us-east-1 is the default location, and S3 refuses it as an explicit constraint.
        CreateBucketConfiguration:
          region === 'us-east-1' ? undefined : { LocationConstraint: region as BucketLocationConstraint },
      }),
    );
    return { subject, outcome: 'created', detail: region };
  } catch (error) {
    if (awsErrorCode(error) === 'BucketAlreadyOwnedByYou') return { subject, outcome: 'already-existed' };
    const hint =
      awsErrorCode(error) === 'BucketAlreadyExists'
        ? 'Bucket names are global and this one belongs to another account: choose another S3_BUCKET'
        : undefined;
    throw new DeployError(subject, 'CreateBucket', { cause: error, hint });
  }
}

async function ensureSetting(
  client: S3Client,
  subjectOfBucket: string,
  bucket: string,
  setting: BucketSetting,
): Promise<ProvisionStep> {
  const subject = `${subjectOfBucket}: ${setting.label}`;
  let found: { satisfied: boolean; found: string };
  try {
    found = await setting.read(client, bucket);
  } catch (error) {
    const unsupported = unsupportedReason(error);
    if (unsupported) return { subject, outcome: 'not-supported', detail: unsupported };
    throw new DeployError(subject, 'read', { cause: error });
  }
  if (found.satisfied) return { subject, outcome: 'already-set', detail: found.found };
  try {
    await setting.apply(client, bucket);
  } catch (error) {
    const unsupported = unsupportedReason(error);
    if (unsupported) return { subject, outcome: 'not-supported', detail: unsupported };
    throw new DeployError(subject, 'apply', { cause: error });
  }
  return { subject, outcome: 'applied', detail: `was ${found.found}` };
}

function unsupportedReason(error: unknown): string | undefined {
  if (error instanceof EndpointLacksSetting) return error.message;
  if (awsErrorCode(error) === 'NotImplemented' || awsHttpStatus(error) === 501)
    return 'the endpoint answered NotImplemented';
  return undefined;
}
