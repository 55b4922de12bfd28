import { ZodType } from 'zod';
import { ServiceError } from './errors';
import { describeIssues } from './zod-issues';

/** A request whose parameters are malformed; the message names each problem. */
export class InvalidRequestError extends ServiceError {
  readonly code = 'invalid_request';
  readonly httpStatus = 400;
}

/** Parses `value` with `schema`, or throws an {@link InvalidRequestError} naming each problem. */
export function parseRequest<T>(schema: ZodType<T>, value: unknown): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new InvalidRequestError(describeIssues(parsed.error.issues, '; ', 'request'));
}
