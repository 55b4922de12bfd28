/**
 * Starts the SQS- and S3-compatible servers that the tests use (local-aws-sqs with the corrections
 * in local-sqs-server.ts, and s3rver), prints the environment that points the app at them, and
 * keeps them running until Ctrl-C. Their data lives in memory and a temporary folder: it is gone
 * when they stop. For trying PROFILE=aws without an AWS account (docs/deploy-aws.md); needs the
 * dev dependencies. Run:
 *   node --require ./test/fixtures/queue-swc-register.js test/support/run-local-aws-servers.ts
 */
import { S3RVER_CREDENTIALS, startLocalS3Server } from './local-s3-server';
import { startLocalSqsServer } from './local-sqs-server';

async function main(): Promise<void> {
  const [sqs, s3] = await Promise.all([startLocalSqsServer(), startLocalS3Server()]);
  const env = {
    AWS_REGION: 'us-east-1',
    AWS_ENDPOINT_URL_SQS: sqs.endpoint,
    AWS_ENDPOINT_URL_S3: s3.endpoint,
    S3_FORCE_PATH_STYLE: 'true',
    AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
  };
  console.log('# SQS- and S3-compatible servers are running; in another shell:');
  for (const [name, value] of Object.entries(env)) console.log(`export ${name}=${value}`);
  console.log('# Ctrl-C stops them and deletes their data.');

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    Promise.all([sqs.stop(), s3.stop()]).then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
