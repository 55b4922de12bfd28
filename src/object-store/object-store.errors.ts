import { ServiceError } from '../common/errors';

/** Quotes a key for a message: JSON escapes control characters, and long keys are cut. */
function quoteKey(key: string): string {
  const quoted = JSON.stringify(key);
  return quoted.length > 120 ? `${quoted.slice(0, 117)}..."` : quoted;
}

/** A key or list prefix that the object store refuses, before any backend is touched. */
export class InvalidObjectKeyError extends ServiceError {
  readonly code = 'invalid_object_key';
  readonly httpStatus = 400;

  constructor(
    readonly key: string,
    readonly reason: string,
  ) {
    super(`Invalid object key ${quoteKey(key)}: ${reason}`);
  }
}

/** No object is stored under the key. */
export class ObjectNotFoundError extends ServiceError {
  readonly code = 'object_not_found';
  readonly httpStatus = 404;

  constructor(
    readonly key: string,
    options?: { cause?: unknown },
  ) {
    super(`No object stored under ${quoteKey(key)}`, options);
  }
}

/** A stored object that the backend cannot read back as one of its own (damaged or foreign file). */
export class CorruptObjectError extends ServiceError {
  readonly code = 'object_corrupt';
  readonly httpStatus = 500;

  constructor(
    readonly key: string,
    reason: string,
  ) {
    super(`Stored object ${quoteKey(key)} is unreadable: ${reason}`);
  }
}
