import { describeAwsError } from '../adapters/aws/aws-errors';

/** What provisioning found or did for one resource or one setting of it. */
export type ProvisionOutcome =
  /** The resource did not exist and was created. */
  | 'created'
  /** The resource existed already; it was left as it is. */
  | 'already-existed'
  /** The setting was missing or different, and was applied (or, on a new resource, applied at creation). */
  | 'applied'
  /** The setting was in place already. */
  | 'already-set'
  /** The endpoint does not implement the setting (a local S3-compatible server, say): skipped. */
  | 'not-supported';

/** What teardown found or did for one resource. */
export type TeardownOutcome = 'deleted' | 'already-gone';

/** One line of the report: a resource or a setting, what happened, and the values involved. */
export interface DeployStep<Outcome extends string = ProvisionOutcome | TeardownOutcome> {
  /** What the line is about, e.g. `SQS queue eir-requests` or `S3 bucket b: default encryption`. */
  subject: string;
  outcome: Outcome;
  /** The values set or found, or why a setting was skipped. */
  detail?: string;
}

export type ProvisionStep = DeployStep<ProvisionOutcome>;
export type TeardownStep = DeployStep<TeardownOutcome>;

const PHRASES: Record<ProvisionOutcome | TeardownOutcome, string> = {
  created: 'created',
  'already-existed': 'already existed',
  applied: 'applied',
  'already-set': 'already set',
  'not-supported': 'NOT SUPPORTED by this endpoint, skipped',
  deleted: 'deleted',
  'already-gone': 'already gone',
};

/** `subject: outcome (detail)`, as the provisioning and teardown commands print each step. */
export function formatStep(step: DeployStep): string {
  return `${step.subject}: ${PHRASES[step.outcome]}${step.detail ? ` (${step.detail})` : ''}`;
}

/** How many steps had each outcome, e.g. `3 created, 2 applied, 2 not supported by this endpoint`. */
export function summarise(steps: readonly DeployStep[]): string {
  const counts = new Map<string, number>();
  for (const { outcome } of steps) counts.set(outcome, (counts.get(outcome) ?? 0) + 1);
  const phrase = (outcome: string) =>
    outcome === 'not-supported' ? 'not supported by this endpoint' : PHRASES[outcome as ProvisionOutcome];
  return [...counts].map(([outcome, count]) => `${count} ${phrase(outcome)}`).join(', ') || 'nothing to do';
}

/** A provisioning or teardown call failed; the message names the resource and the operation. */
export class DeployError extends Error {
  constructor(subject: string, operation: string, options: { cause?: unknown; hint?: string } = {}) {
    const cause = options.cause === undefined ? '' : `: ${describeAwsError(options.cause)}`;
    super(`${subject}: ${operation} failed${cause}${options.hint ? `. ${options.hint}` : ''}`, {
      cause: options.cause,
    });
  }
}

/** Runs one SDK call, turning its failure into a {@link DeployError} naming the resource and the call. */
export async function call<T>(subject: string, operation: string, request: () => Promise<T>): Promise<T> {
  try {
    return await request();
  } catch (error) {
    throw new DeployError(subject, operation, { cause: error });
  }
}
