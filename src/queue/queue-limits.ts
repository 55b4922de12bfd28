import { QUEUE_LIMITS, ReceiveOptions, SendOptions } from '../ports/queue.port';

/** Receive options with every default applied. */
export interface ResolvedReceiveOptions {
  maxMessages: number;
  waitTimeMs: number;
  visibilityTimeoutMs: number;
  signal?: AbortSignal;
}

// The characters SQS accepts in a body; lone surrogates fall outside these ranges under the `u` flag.
const FORBIDDEN_BODY_CHARACTER = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

function checkInteger(what: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${what} must be an integer from ${min} to ${max}, got ${value}`);
  }
}

/** Throws a `RangeError` unless `body` is a message body that every backend accepts. */
export function checkBody(body: string): void {
  if (typeof body !== 'string' || body.length === 0) {
    throw new RangeError('A message body must be a non-empty string');
  }
  const bytes = Buffer.byteLength(body, 'utf8');
  if (bytes > QUEUE_LIMITS.maxBodyBytes) {
    throw new RangeError(`A message body may have at most ${QUEUE_LIMITS.maxBodyBytes} bytes, got ${bytes}`);
  }
  const forbidden = FORBIDDEN_BODY_CHARACTER.exec(body);
  if (forbidden) {
    const codePoint = forbidden[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
    throw new RangeError(`A message body may not contain U+${codePoint} (at index ${forbidden.index})`);
  }
}

/** Throws a `RangeError` unless `size` items fit one batch call. */
export function checkBatchSize(what: string, size: number): void {
  checkInteger(`The number of ${what}`, size, 0, QUEUE_LIMITS.maxBatchSize);
}

/** Throws a `RangeError` unless `timeoutMs` is a valid visibility timeout. */
export function checkVisibilityTimeout(timeoutMs: number): void {
  checkInteger('visibilityTimeoutMs', timeoutMs, 0, QUEUE_LIMITS.maxVisibilityTimeoutMs);
}

/** Checks every body and the delay of a send; returns the delay in ms. */
export function checkSend(bodies: readonly string[], options: SendOptions = {}): number {
  checkBatchSize('bodies', bodies.length);
  bodies.forEach(checkBody);
  const delayMs = options.delayMs ?? 0;
  checkInteger('delayMs', delayMs, 0, QUEUE_LIMITS.maxDelayMs);
  return delayMs;
}

/** Checks receive options and fills in the port's defaults (see {@link ReceiveOptions}). */
export function resolveReceiveOptions(
  options: ReceiveOptions,
  defaultVisibilityTimeoutMs: number,
): ResolvedReceiveOptions {
  const resolved = {
    maxMessages: options.maxMessages ?? 1,
    waitTimeMs: options.waitTimeMs ?? 0,
    visibilityTimeoutMs: options.visibilityTimeoutMs ?? defaultVisibilityTimeoutMs,
    signal: options.signal,
  };
  checkInteger('maxMessages', resolved.maxMessages, 1, QUEUE_LIMITS.maxBatchSize);
  checkInteger('waitTimeMs', resolved.waitTimeMs, 0, QUEUE_LIMITS.maxWaitTimeMs);
  checkVisibilityTimeout(resolved.visibilityTimeoutMs);
  return resolved;
}
