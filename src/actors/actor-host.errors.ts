import { ServiceError } from '../common/errors';

/** An event for an actor that was never created (e.g. a result for an unknown job). */
export class UnknownActorError extends ServiceError {
  readonly code = 'unknown_actor';
  readonly httpStatus = 404;

  constructor(
    readonly streamId: string,
    eventType: string,
  ) {
    super(`No actor ${streamId} to take ${eventType}`);
  }
}

/** A creation event for an actor that already exists. */
export class ActorExistsError extends ServiceError {
  readonly code = 'actor_exists';
  readonly httpStatus = 409;

  constructor(readonly streamId: string) {
    super(`Actor ${streamId} already exists`);
  }
}

/** An event on a stream that no machine owns. */
export class UnknownStreamKindError extends ServiceError {
  readonly code = 'unknown_stream_kind';
  readonly httpStatus = 400;

  constructor(readonly streamId: string) {
    super(`No machine owns stream ${streamId}`);
  }
}
