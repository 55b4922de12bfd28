import { ServiceError } from '../common/errors';

/** No stream with that id (or actor id) holds any event. */
export class UnknownStreamError extends ServiceError {
  readonly code = 'unknown_stream';
  readonly httpStatus = 404;

  constructor(readonly ref: string) {
    super(`No job, worker or controller stream ${ref} in the log`);
  }
}

/** A replay step outside the stream's events. */
export class StepOutOfRangeError extends ServiceError {
  readonly code = 'step_out_of_range';
  readonly httpStatus = 400;
}
