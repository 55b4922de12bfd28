/**
 * What an AWS SDK error says, whichever service raised it: the error code is its `Code`
 * (query-compatible SQS errors) or its `name` (`NoSuchKey`, `InvalidInstanceID.NotFound`, ...).
 */
export function awsErrorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { name, Code } = error as { name?: unknown; Code?: unknown };
  if (typeof Code === 'string') return Code;
  return typeof name === 'string' ? name : undefined;
}

/** The HTTP status of the service's answer, when there was one. */
export function awsHttpStatus(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
}

/** The error's message, or its string form. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** `Code: message`, or just the message when it already names the code (or there is none). */
export function describeAwsError(error: unknown): string {
  const message = errorMessage(error);
  const code = awsErrorCode(error);
  return code && code !== 'Error' && !message.includes(code) ? `${code}: ${message}` : message;
}
