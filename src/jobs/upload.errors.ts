import { ServiceError } from '../common/errors';

/** The request carried no file in the expected field. */
export class NoFileError extends ServiceError {
  readonly code = 'no_file';
  readonly httpStatus = 400;
}

/** The bytes are not an image that can be decoded. */
export class NotAnImageError extends ServiceError {
  readonly code = 'not_an_image';
  readonly httpStatus = 415;
}

/** An image, but in a format the service does not take. */
export class UnsupportedImageFormatError extends ServiceError {
  readonly code = 'unsupported_image_format';
  readonly httpStatus = 415;
}

/** Too many bytes or too many pixels. */
export class ImageTooLargeError extends ServiceError {
  readonly code = 'image_too_large';
  readonly httpStatus = 413;
}

/** The label did not arrive within the time the caller was promised. */
export class ResultTimeoutError extends ServiceError {
  readonly code = 'result_timeout';
  readonly httpStatus = 504;
}

/** The job ended without a label: its image was rejected or it failed. */
export class JobUnsuccessfulError extends ServiceError {
  readonly code = 'job_unsuccessful';
  readonly httpStatus = 422;
}

/** An `Idempotency-Key` header that is empty, too long or not printable ASCII. */
export class InvalidIdempotencyKeyError extends ServiceError {
  readonly code = 'invalid_idempotency_key';
  readonly httpStatus = 400;
}

/** An `Idempotency-Key` already used for a submission of other files. */
export class IdempotencyKeyReusedError extends ServiceError {
  readonly code = 'idempotency_key_reused';
  readonly httpStatus = 422;
}
