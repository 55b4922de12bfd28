import type { z } from 'zod';

/** "path: message" for each issue, joined; `whole` names an issue about the value itself. */
export function describeIssues(issues: z.core.$ZodIssue[], separator = '; ', whole = 'value'): string {
  return issues.map((issue) => `${issue.path.join('.') || whole}: ${issue.message}`).join(separator);
}
