import { ServiceError } from '../common/errors';

/** Shortens a receipt handle for messages: SQS handles run to hundreds of characters. */
function shortHandle(receiptHandle: string): string {
  const quoted = JSON.stringify(receiptHandle);
  return quoted.length > 60 ? `${quoted.slice(0, 57)}..."` : quoted;
}

/** A string that this queue never issued as a receipt handle: a bug in the caller. */
export class InvalidReceiptHandleError extends ServiceError {
  readonly code = 'queue_receipt_handle_invalid';
  readonly httpStatus = 500;

  constructor(
    readonly queueName: string,
    readonly receiptHandle: string,
    options?: { cause?: unknown },
  ) {
    super(`Queue '${queueName}' never issued receipt handle ${shortHandle(receiptHandle)}`, options);
  }
}

/**
 * A receipt handle whose delivery is no longer in flight: the message was deleted, received again,
 * or its visibility timeout lapsed. The caller has lost its claim on the message.
 */
export class ReceiptHandleExpiredError extends ServiceError {
  readonly code = 'queue_receipt_handle_expired';
  readonly httpStatus = 409;

  constructor(
    readonly queueName: string,
    readonly receiptHandle: string,
    options?: { cause?: unknown },
  ) {
    super(
      `Receipt handle ${shortHandle(receiptHandle)} of queue '${queueName}' is no longer in flight`,
      options,
    );
  }
}

/** A call on a queue after its `close()`. */
export class QueueClosedError extends ServiceError {
  readonly code = 'queue_closed';
  readonly httpStatus = 503;

  constructor(readonly queueName: string) {
    super(`Queue '${queueName}' is closed`);
  }
}

/** The backend failed (SQLite error, SQS unreachable, ...); `cause` holds the vendor error. */
export class QueueBackendError extends ServiceError {
  readonly code = 'queue_backend_failed';
  readonly httpStatus = 503;

  constructor(
    readonly queueName: string,
    readonly operation: string,
    options: { cause: unknown },
  ) {
    const reason = options.cause instanceof Error ? options.cause.message : String(options.cause);
    super(`Queue '${queueName}': ${operation} failed: ${reason}`, options);
  }
}
