/**
 * How SQS reports a receipt handle problem. The error code is the SDK error's `name` (JSON
 * protocol) or its `Code` (query-compatible errors).
 */
export function sqsErrorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { name, Code } = error as { name?: unknown; Code?: unknown };
  if (typeof Code === 'string') return Code;
  return typeof name === 'string' ? name : undefined;
}

/** The error's message, or its string form. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
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
  const code = sqsErrorCode(error);
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
  return sqsErrorCode(error) === 'ReceiptHandleIsInvalid';
}

/** The request was cancelled through its abort signal. */
export function isAbortError(error: unknown): boolean {
  return error instanceof Error && error.name === 'AbortError';
}
