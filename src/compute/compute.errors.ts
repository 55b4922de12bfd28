import { ServiceError } from '../common/errors';

/** The provider could not start an instance (bad command, no capacity, adapter shut down, ...). */
export class InstanceLaunchError extends ServiceError {
  readonly code = 'instance_launch_failed';
  readonly httpStatus = 503;

  constructor(
    readonly workerId: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`Could not launch an instance for worker ${workerId}: ${reason}`, options);
  }
}

/** The instance id was never launched by this adapter (or was forgotten long after it exited). */
export class InstanceNotFoundError extends ServiceError {
  readonly code = 'instance_not_found';
  readonly httpStatus = 404;

  constructor(readonly instanceId: string) {
    super(`No instance ${instanceId} was launched here`);
  }
}
