import {
  GetBucketEncryptionCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketOwnershipControlsCommand,
  GetPublicAccessBlockCommand,
  HeadBucketCommand,
  PutBucketLifecycleConfigurationCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { provisionBucket, retentionRules } from './bucket-provisioning';

// s3rver implements no lifecycle configuration, so S3's answers are stubbed for these requests.
function bucketWithSafeDefaults() {
  const client = new S3Client({
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
  });
  const s3 = mockClient(client);
  s3.on(HeadBucketCommand).resolves({});
  s3.on(GetBucketEncryptionCommand).resolves({
    ServerSideEncryptionConfiguration: {
      Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
    },
  });
  s3.on(GetPublicAccessBlockCommand).resolves({
    PublicAccessBlockConfiguration: {
      BlockPublicAcls: true,
      IgnorePublicAcls: true,
      BlockPublicPolicy: true,
      RestrictPublicBuckets: true,
    },
  });
  s3.on(GetBucketOwnershipControlsCommand).resolves({
    OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
  });
  return { client, s3 };
}

const noLifecycle = new S3ServiceException({
  name: 'NoSuchLifecycleConfiguration',
  $fault: 'client',
  $metadata: { httpStatusCode: 404 },
  message: 'The lifecycle configuration does not exist',
});

describe('provisionBucket: the lifecycle rules that match RETENTION_DAYS', () => {
  it('adds rules expiring inputs/ and outputs/ after RETENTION_DAYS, and unfinished uploads after a day', async () => {
    const { client, s3 } = bucketWithSafeDefaults();
    s3.on(GetBucketLifecycleConfigurationCommand).rejects(noLifecycle);
    s3.on(PutBucketLifecycleConfigurationCommand).resolves({});

    const steps = await provisionBucket(client, 'images', 'us-east-1', { retentionDays: 7 });

    expect(steps.at(-1)).toMatchObject({ outcome: 'applied', detail: 'was none' });
    const [put] = s3.commandCalls(PutBucketLifecycleConfigurationCommand);
    expect(put.args[0].input.LifecycleConfiguration?.Rules).toEqual([
      { ID: 'eir-expire-inputs', Status: 'Enabled', Filter: { Prefix: 'inputs/' }, Expiration: { Days: 7 } },
      {
        ID: 'eir-expire-outputs',
        Status: 'Enabled',
        Filter: { Prefix: 'outputs/' },
        Expiration: { Days: 7 },
      },
      {
        ID: 'eir-abort-incomplete-uploads',
        Status: 'Enabled',
        Filter: { Prefix: '' },
        AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
      },
    ]);
  });

  it('keeps the bucket’s other rules, replaces its own when RETENTION_DAYS changed, and leaves matching ones alone', async () => {
    const theirs = { ID: 'logs-to-glacier', Status: 'Enabled' as const, Filter: { Prefix: 'logs/' } };
    const { client, s3 } = bucketWithSafeDefaults();
    s3.on(GetBucketLifecycleConfigurationCommand).resolves({ Rules: [theirs, ...retentionRules(30)] });
    s3.on(PutBucketLifecycleConfigurationCommand).resolves({});

    const unchanged = await provisionBucket(client, 'images', 'us-east-1', { retentionDays: 30 });
    expect(unchanged.at(-1)).toMatchObject({ outcome: 'already-set' });
    expect(s3.commandCalls(PutBucketLifecycleConfigurationCommand)).toHaveLength(0);

    await provisionBucket(client, 'images', 'us-east-1', { retentionDays: 10 });
    const [put] = s3.commandCalls(PutBucketLifecycleConfigurationCommand);
    expect(put.args[0].input.LifecycleConfiguration?.Rules).toEqual([theirs, ...retentionRules(10)]);
  });

  it('adds no expiry when RETENTION_DAYS is 0', async () => {
    const { client, s3 } = bucketWithSafeDefaults();
    const steps = await provisionBucket(client, 'images', 'us-east-1', { retentionDays: 0 });
    expect(steps.map((step) => step.subject)).not.toContainEqual(expect.stringContaining('lifecycle'));
    expect(s3.commandCalls(GetBucketLifecycleConfigurationCommand)).toHaveLength(0);
  });
});
