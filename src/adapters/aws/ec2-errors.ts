import { ServiceError } from '../../common/errors';
import { InstanceLaunchError } from '../../compute/compute.errors';
import { awsErrorCode } from './aws-errors';

/** EC2's error code (`InsufficientInstanceCapacity`, ...); none for an error that is not EC2's. */
export function ec2ErrorCode(error: unknown): string | undefined {
  const code = awsErrorCode(error);
  return code === 'Error' ? undefined : code;
}

// Codes that name a passing condition rather than a wrong request: asking again later may work.
const RETRYABLE_CODES = new Set([
  'RequestLimitExceeded',
  'Throttling',
  'InsufficientInstanceCapacity',
  'InsufficientCapacity',
  'InstanceLimitExceeded',
  'VcpuLimitExceeded',
  'InsufficientFreeAddressesInSubnet',
  'Unavailable',
  'ServiceUnavailable',
  'InternalError',
]);

/** Whether EC2's failure may pass by itself (throttling, capacity, limits, server errors). */
export function isRetryableEc2Error(error: unknown): boolean {
  const code = ec2ErrorCode(error);
  if (code && RETRYABLE_CODES.has(code)) return true;
  return (error as { $fault?: unknown } | null)?.$fault === 'server';
}

function describeCause(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const code = ec2ErrorCode(error);
  return code && !message.includes(code) ? `${code}: ${message}` : message;
}

/**
 * EC2 refused or failed a launch. `retryable` tells a passing condition (throttling that outlasted
 * the SDK's retries, no capacity, an account limit) from a wrong request (bad AMI, subnet, ...).
 */
export class Ec2LaunchError extends InstanceLaunchError {
  /** EC2's error code, when EC2 gave one. */
  readonly ec2Code?: string;
  readonly retryable: boolean;

  constructor(workerId: string, error: unknown) {
    super(workerId, `EC2 refused: ${describeCause(error)}`, { cause: error });
    this.ec2Code = ec2ErrorCode(error);
    this.retryable = isRetryableEc2Error(error);
  }
}

/** A launch refused before asking EC2, because the account already runs `cap` instances. */
export class InstanceCapReachedError extends InstanceLaunchError {
  constructor(
    workerId: string,
    readonly cap: number,
    readonly counted: number,
  ) {
    super(workerId, `${counted} instances are live in the account, and the cap is ${cap}`);
  }
}

/** EC2 failed a call other than a launch (terminate, list, the poll); `cause` holds the SDK error. */
export class ComputeBackendError extends ServiceError {
  readonly code = 'compute_backend_failed';
  readonly httpStatus = 503;
  readonly ec2Code?: string;
  readonly retryable: boolean;

  constructor(
    readonly operation: string,
    cause: unknown,
  ) {
    super(`EC2: ${operation} failed: ${describeCause(cause)}`, { cause });
    this.ec2Code = ec2ErrorCode(cause);
    this.retryable = isRetryableEc2Error(cause);
  }
}
