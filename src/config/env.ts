import { z } from 'zod';
import { describeIssues } from '../common/zod-issues';

/** Thrown at start when the environment does not describe a valid configuration. */
export class InvalidConfigError extends Error {}

/** A whole number above zero, read from an environment string. */
export const positiveInt = () => z.coerce.number().int().positive();

/** A comma-separated list, each item trimmed and empty ones dropped; unset is the empty list. */
export const commaSeparated = () =>
  z
    .string()
    .default('')
    .transform((text) =>
      text
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item.length > 0),
    );

/** Parses the environment with `schema`; every problem is named in one {@link InvalidConfigError}. */
export function parseEnv<T>(schema: z.ZodType<T>, env: NodeJS.ProcessEnv, what: string): T {
  const parsed = schema.safeParse(env);
  if (parsed.success) return parsed.data;
  throw new InvalidConfigError(`Invalid ${what}:\n  ${describeIssues(parsed.error.issues, '\n  ')}`);
}
