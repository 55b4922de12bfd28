import { awsErrorCode, errorMessage } from './aws-errors';

const QUEUE_DOES_NOT_EXIST = new Set(['QueueDoesNotExist', 'AWS.SimpleQueueService.NonExistentQueue']);

/** SQS has no queue by that name or URL (the JSON protocol's code, or the query protocol's). */
export function isMissingQueue(error: unknown): boolean {
  return QUEUE_DOES_NOT_EXIST.has(awsErrorCode(error) ?? '');
}

// SQS answers a handle whose delivery is over with one of these, depending on the operation and on
// whether the message was deleted, received again or timed out; the reason is only in the text.
const NO_LONGER_IN_FLIGHT = /has expired|not available for visibility timeout change|does not exist/i;
const INVALID_PARAMETER = new Set([
  'InvalidParameterValue',
  'InvalidParameterValueException',
  'ValidationException',
]);

/** The handle named a real delivery that is no longer in flight. */
export function isStaleHandleError(error: unknown): boolean {
  const code = awsErrorCode(error);
  if (code === 'MessageNotInflight' || code === 'AWS.SimpleQueueService.MessageNotInflight') return true;
  return (
    INVALID_PARAMETER.has(code ?? '') &&
    /ReceiptHandle/i.test(errorMessage(error)) &&
    NO_LONGER_IN_FLIGHT.test(errorMessage(error))
  );
}

/**
 * SQS did not accept the handle. It says so for strings it never issued, and some servers also
 * for handles of messages since deleted, so the caller decides which it was.
 */
export function isRefusedHandleError(error: unknown): boolean {
  return awsErrorCode(error) === 'ReceiptHandleIsInvalid';
}

/** The request was cancelled through its abort signal. */
export function isAbortError(error: unknown): boolean {
  return error instanceof Error && error.name === 'AbortError';
}
