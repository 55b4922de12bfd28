import { z } from 'zod';
import type { AwsConfig } from '../config/aws-config';
import { parseEnv } from '../config/env';

/** The placeholders of the policy documents in `deploy/iam/`, written `{{NAME}}`. */
export const POLICY_PLACEHOLDERS = [
  'ACCOUNT_ID',
  'REGION',
  'BUCKET',
  'REQUEST_QUEUE',
  'RESPONSE_QUEUE',
  'DEAD_LETTER_QUEUE',
  'WORKER_ROLE_NAME',
  'FLEET_ID',
  'INSTANCE_TYPE',
] as const;

export type PolicyPlaceholder = (typeof POLICY_PLACEHOLDERS)[number];
export type PolicyValues = Record<PolicyPlaceholder, string>;

const PLACEHOLDER = /\{\{([^{}]*)\}\}/g;

const identitySchema = z.object({
  AWS_ACCOUNT_ID: z
    .string({ message: 'required: the 12-digit id of the AWS account (aws sts get-caller-identity)' })
    .regex(/^\d{12}$/, 'the 12-digit id of the AWS account'),
  WORKER_ROLE_NAME: z
    .string()
    .regex(/^[\w+=,.@-]{1,64}$/, "an IAM role name: 1–64 letters, digits or '+=,.@_-'")
    .default('eir-worker'),
  ALLOWED_INSTANCE_TYPE: z
    .string()
    .regex(/^[a-z0-9.*?-]{1,64}$/, 'an instance type, or a pattern of them such as t3.*')
    .optional(),
});

/** The instance type the control plane may launch when neither setting names one. */
export const DEFAULT_ALLOWED_INSTANCE_TYPE = 't3.micro';

/**
 * The values for the placeholders: the region, queues and bucket of the AWS configuration; env
 * AWS_ACCOUNT_ID (required); WORKER_ROLE_NAME (the role in the workers' instance profile, default
 * `eir-worker`); FLEET_ID (default: the deployment's name, as the control plane has it); and
 * ALLOWED_INSTANCE_TYPE, the only type (or pattern, `t3.*`) the control plane may launch
 * (default EC2_INSTANCE_TYPE, else `t3.micro`). Bad values are named in one `InvalidConfigError`.
 */
export function policyValues(aws: AwsConfig, env: NodeJS.ProcessEnv): PolicyValues {
  const identity = parseEnv(identitySchema, env, 'IAM policy settings');
  return {
    ACCOUNT_ID: identity.AWS_ACCOUNT_ID,
    REGION: aws.region,
    BUCKET: aws.bucket,
    REQUEST_QUEUE: aws.queues.requests,
    RESPONSE_QUEUE: aws.queues.responses,
    DEAD_LETTER_QUEUE: aws.queues.deadLetter,
    WORKER_ROLE_NAME: identity.WORKER_ROLE_NAME,
    FLEET_ID: env.FLEET_ID ?? aws.deployment,
    INSTANCE_TYPE: identity.ALLOWED_INSTANCE_TYPE ?? env.EC2_INSTANCE_TYPE ?? DEFAULT_ALLOWED_INSTANCE_TYPE,
  };
}

/** The placeholders a document uses, in order of first use. Throws a `RangeError` on an unknown one. */
export function placeholdersIn(template: string): PolicyPlaceholder[] {
  const found = new Set<PolicyPlaceholder>();
  for (const [, name] of template.matchAll(PLACEHOLDER)) {
    if (!(POLICY_PLACEHOLDERS as readonly string[]).includes(name)) {
      throw new RangeError(`Unknown placeholder {{${name}}}; known: ${POLICY_PLACEHOLDERS.join(', ')}`);
    }
    found.add(name as PolicyPlaceholder);
  }
  return [...found];
}

/**
 * The policy document with each `{{NAME}}` replaced by its value, checked to be JSON. Values are
 * inserted JSON-escaped, so a value cannot change the document's structure.
 */
export function renderPolicy(template: string, values: PolicyValues): string {
  placeholdersIn(template);
  const rendered = template.replace(PLACEHOLDER, (_, name: PolicyPlaceholder) => {
    const value = values[name];
    if (!value) throw new RangeError(`No value for {{${name}}}`);
    return JSON.stringify(value).slice(1, -1);
  });
  JSON.parse(rendered);
  return rendered;
}
