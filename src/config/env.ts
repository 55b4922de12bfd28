import { z } from 'zod';
import { describeIssues } from '../common/zod-issues';

/** Thrown at start when the environment does not describe a valid configuration. */
export class InvalidConfigError extends Error {}

/** A whole number above zero, read from an environment string. */
export const positiveInt = () => z.coerce.number().int().positive();

/** Parses the environment with `schema`; every problem is named in one {@link InvalidConfigError}. */
export function parseEnv<T>(schema: z.ZodType<T>, env: NodeJS.ProcessEnv, what: string): T {
  const parsed = schema.safeParse(env);
  if (parsed.success) return parsed.data;
  throw new InvalidConfigError(`Invalid ${what}:\n  ${describeIssues(parsed.error.issues, '\n  ')}`);
}
