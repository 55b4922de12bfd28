import { z } from 'zod';
import { AwsConfig, loadAwsConfig } from '../config/aws-config';
import { InvalidConfigError, parseEnv, positiveInt } from '../config/env';
import { QUEUE_LIMITS } from '../ports/queue.port';

// The same variables, bounds and defaults as the control plane's and the worker's configuration,
// so that the queues are provisioned with the settings the processes will assume.
const deliverySchema = z.object({
  MAX_ATTEMPTS: positiveInt().max(1000).default(3),
  VISIBILITY_TIMEOUT_MS: positiveInt().max(QUEUE_LIMITS.maxVisibilityTimeoutMs).default(30_000),
  RETENTION_DAYS: z.coerce.number().int().min(0).default(30),
});

/** What `npm run aws:provision` and `npm run aws:teardown` act on. */
export interface DeploySettings {
  /** Region, endpoints, queue names and bucket: see {@link loadAwsConfig}. */
  aws: AwsConfig;
  /** Deliveries of a request before SQS moves it to the dead-letter queue (env MAX_ATTEMPTS, default 3). */
  maxAttempts: number;
  /** The request queue's default visibility timeout (env VISIBILITY_TIMEOUT_MS, default 30 000; SQS keeps whole seconds). */
  visibilityTimeoutMs: number;
  /** Days after which the bucket's lifecycle expires inputs and outputs (env RETENTION_DAYS, default 30; 0: never). */
  retentionDays: number;
}

/**
 * Reads the provisioning settings from the environment. Every problem (of the AWS variables and
 * of the delivery settings alike) is named in one {@link InvalidConfigError}.
 */
export function loadDeploySettings(env: NodeJS.ProcessEnv): DeploySettings {
  const problems: string[] = [];
  const attempt = <T>(read: () => T): T | undefined => {
    try {
      return read();
    } catch (error) {
      if (!(error instanceof InvalidConfigError)) throw error;
      problems.push(error.message);
      return undefined;
    }
  };
  const aws = attempt(() => loadAwsConfig(env));
  const delivery = attempt(() => parseEnv(deliverySchema, env, 'queue delivery settings'));
  if (aws) {
    const { requests, responses, deadLetter } = aws.queues;
    if (new Set([requests, responses, deadLetter]).size !== 3) {
      problems.push(
        'SQS_REQUEST_QUEUE, SQS_RESPONSE_QUEUE and SQS_DEAD_LETTER_QUEUE must name three different queues',
      );
    }
  }
  if (!aws || !delivery || problems.length) throw new InvalidConfigError(problems.join('\n'));
  return {
    aws,
    maxAttempts: delivery.MAX_ATTEMPTS,
    visibilityTimeoutMs: delivery.VISIBILITY_TIMEOUT_MS,
    retentionDays: delivery.RETENTION_DAYS,
  };
}

/** Where the settings point, for the commands' first line: `region us-east-1, SQS <endpoint>, S3 <endpoint>`. */
export function describeTarget(aws: AwsConfig): string {
  return [
    `region ${aws.region}`,
    `SQS ${aws.sqsEndpoint ?? 'AWS'}`,
    `S3 ${aws.s3Endpoint ?? 'AWS'}${aws.s3ForcePathStyle ? ' (path-style)' : ''}`,
  ].join(', ');
}
