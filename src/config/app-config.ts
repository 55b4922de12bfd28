import { resolve } from 'node:path';
import { z } from 'zod';

const schema = z.object({
  PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  DATA_DIR: z.string().min(1).default('data'),
  PROFILE: z.enum(['local']).default('local'),
});

/** The service's settings, read from the environment and validated once at start. */
export interface AppConfig {
  /** HTTP port of the control plane (env PORT, default 3000). */
  port: number;
  /** Folder for the SQLite files and stored objects (env DATA_DIR, default `./data`). */
  dataDir: string;
  /** Which adapters back the ports (env PROFILE, default `local`: SQLite, files, child processes). */
  profile: 'local';
}

/** Thrown at start when the environment does not describe a valid configuration. */
export class InvalidConfigError extends Error {}

/** Reads and validates the configuration; every problem is named in one error. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new InvalidConfigError(`Invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  const { PORT, DATA_DIR, PROFILE } = parsed.data;
  return { port: PORT, dataDir: resolve(DATA_DIR), profile: PROFILE };
}

/** DI token of {@link AppConfig}. */
export const APP_CONFIG = Symbol('AppConfig');
