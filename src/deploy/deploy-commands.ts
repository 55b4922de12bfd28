import { parseArgs } from 'node:util';
import { createS3Client, createSqsClient } from '../adapters/aws/aws-clients';
import { InvalidConfigError } from '../config/env';
import { provisionBucket } from './bucket-provisioning';
import { DeployStep, formatStep, summarise } from './deploy-report';
import { describeTarget, DeploySettings, loadDeploySettings } from './deploy-settings';
import { provisionQueues } from './queue-provisioning';
import { deleteBucketWithObjects, deleteQueuesByName } from './teardown';

/** Where a command writes: its report to `log`, failures and warnings to `error`. Default: the console. */
export interface CommandOutput {
  log(line: string): void;
  error(line: string): void;
}

/** Exit codes of the commands. */
export const EXIT = { ok: 0, failed: 1, refused: 2 } as const;

/**
 * `npm run aws:provision`: creates or verifies the queues and the bucket that the environment
 * names (see {@link loadDeploySettings}), printing one line per resource and setting, and a
 * warning for each setting the endpoint does not support. Credentials come from the SDK's default
 * chain. Resolves with the exit code: 0, or 1 when the settings are invalid or a call failed.
 */
export async function runProvisionCommand(
  env: NodeJS.ProcessEnv,
  output: CommandOutput = console,
): Promise<number> {
  const settings = readSettings(env, output);
  if (!settings) return EXIT.failed;
  const { aws } = settings;
  output.log(`Provisioning the queues and the bucket (${describeTarget(aws)})`);
  const sqs = createSqsClient(aws);
  const s3 = createS3Client(aws);
  const steps: DeployStep[] = [];
  const report = (done: DeployStep[]) =>
    done.forEach((step) => (steps.push(step), output.log(formatStep(step))));
  try {
    report(
      await provisionQueues(sqs, {
        names: aws.queues,
        maxReceiveCount: settings.maxAttempts,
        visibilityTimeoutMs: settings.visibilityTimeoutMs,
      }),
    );
    report(await provisionBucket(s3, aws.bucket, aws.region, { retentionDays: settings.retentionDays }));
  } catch (error) {
    output.error(`aws:provision failed: ${(error as Error).message}`);
    return EXIT.failed;
  } finally {
    sqs.destroy();
    s3.destroy();
  }
  output.log(`Done: ${summarise(steps)}.`);
  const unsupported = steps.filter((step) => step.outcome === 'not-supported');
  if (unsupported.length) {
    output.error(
      `Warning: ${unsupported.length} setting(s) could not be applied because this endpoint does not implement them; ` +
        'Amazon S3 and SQS implement all of them.',
    );
  }
  return EXIT.ok;
}

/**
 * `npm run aws:teardown -- --yes`: deletes the three queues, and the bucket after deleting every
 * object in it. Without `--yes` it only says what it would delete and refuses (exit 2). Resources
 * already gone are reported as such, so running it again succeeds. Resolves with the exit code:
 * 0; 1 when the settings are invalid or a call failed; 2 without `--yes` or with unknown arguments.
 */
export async function runTeardownCommand(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  output: CommandOutput = console,
): Promise<number> {
  let confirmed: boolean;
  try {
    const { values } = parseArgs({ args: [...argv], options: { yes: { type: 'boolean', default: false } } });
    confirmed = values.yes;
  } catch (error) {
    output.error(`${(error as Error).message}\nUsage: npm run aws:teardown -- --yes`);
    return EXIT.refused;
  }
  const settings = readSettings(env, output);
  if (!settings) return EXIT.failed;
  const { aws } = settings;
  const { requests, responses, deadLetter } = aws.queues;
  const what = `SQS queues ${requests}, ${responses} and ${deadLetter} with their messages, and S3 bucket ${aws.bucket} with every object in it (${describeTarget(aws)})`;
  if (!confirmed) {
    output.error(`This would delete the ${what}.\nRefusing without --yes: npm run aws:teardown -- --yes`);
    return EXIT.refused;
  }
  output.log(`Deleting the ${what}`);
  const sqs = createSqsClient(aws);
  const s3 = createS3Client(aws);
  const steps: DeployStep[] = [];
  try {
    steps.push(...(await deleteQueuesByName(sqs, [requests, responses, deadLetter])));
    steps.push(await deleteBucketWithObjects(s3, aws.bucket, aws.region));
  } catch (error) {
    steps.forEach((step) => output.log(formatStep(step)));
    output.error(`aws:teardown failed: ${(error as Error).message}`);
    return EXIT.failed;
  } finally {
    sqs.destroy();
    s3.destroy();
  }
  steps.forEach((step) => output.log(formatStep(step)));
  output.log(`Done: ${summarise(steps)}.`);
  return EXIT.ok;
}

function readSettings(env: NodeJS.ProcessEnv, output: CommandOutput): DeploySettings | undefined {
  try {
    return loadDeploySettings(env);
  } catch (error) {
    if (!(error instanceof InvalidConfigError)) throw error;
    output.error(error.message);
    return undefined;
  }
}
