import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { DEFAULT_JOB_DEADLINE_MS } from '../../state-machines/job.machine';
import {
  AWS_COOLDOWN_MS,
  AWS_SCALING,
  AWS_SCALING_PERIOD_MS,
  AWS_WORKER_IDLE_TIMEOUT_MS,
  LOCAL_SCALING,
} from '../../state-machines/scaling-policy';
import { DEFAULT_MAX_PIXELS } from '../classifier/image-preprocessor';
import { commaSeparated, positiveInt } from './env';

// The environment the control plane reads: each variable, its validation and its default, and the
// rules between them. `loadConfig` (app-config.ts) turns what passes into an AppConfig.

/**
 * Defaults that depend on where the workers run: a child process is useful within a second or two,
 * an EC2 instance after about a minute, and the original's account allowed 20 instances (19
 * workers and the control plane). Each can be set in the environment.
 */
const FLEET_DEFAULTS = {
  local: {
    MAX_WORKERS: availableParallelism(),
    SCALING_PERIOD_MS: 1_000,
    ACCEPTABLE_LATENCY_MS: LOCAL_SCALING.acceptableLatencyMs,
    EXPECTED_BOOT_MS: LOCAL_SCALING.expectedBootMs,
    SERVICE_TIME_MS: LOCAL_SCALING.defaultServiceTimeMs,
    SCALE_IN_STABILISATION_MS: LOCAL_SCALING.scaleInStabilisationMs,
    MAX_SCALE_IN_PER_STEP: LOCAL_SCALING.maxScaleInPerStep,
    COOLDOWN_MS: 5_000,
    WORKER_IDLE_TIMEOUT_MS: 2_000,
    WORKER_HEARTBEAT_TIMEOUT_MS: 30_000,
  },
  ec2: {
    MAX_WORKERS: AWS_SCALING.maxWorkers,
    SCALING_PERIOD_MS: AWS_SCALING_PERIOD_MS,
    ACCEPTABLE_LATENCY_MS: AWS_SCALING.acceptableLatencyMs,
    EXPECTED_BOOT_MS: AWS_SCALING.expectedBootMs,
    SERVICE_TIME_MS: AWS_SCALING.defaultServiceTimeMs,
    SCALE_IN_STABILISATION_MS: AWS_SCALING.scaleInStabilisationMs,
    MAX_SCALE_IN_PER_STEP: AWS_SCALING.maxScaleInPerStep,
    COOLDOWN_MS: AWS_COOLDOWN_MS,
    WORKER_IDLE_TIMEOUT_MS: AWS_WORKER_IDLE_TIMEOUT_MS,
    // A pending worker is lost when it has not reported by then: it must cover the boot.
    WORKER_HEARTBEAT_TIMEOUT_MS: 180_000,
  },
};

/** A comma-separated list of keys, each at least 16 characters (a key is a secret, not a name). */
const keyList = commaSeparated().refine(
  (keys) => keys.every((key) => key.length >= 16),
  'each key must be at least 16 characters long',
);

/** A comma-separated list of web origins (`https://example.com`), each exactly an origin. */
const originList = commaSeparated().refine(
  (origins) => origins.every((origin) => URL.canParse(origin) && new URL(origin).origin === origin),
  'each origin must be a scheme, host and optional port, such as https://example.com (no path, no trailing slash)',
);

/** The most files one request may carry, whatever MAX_FILES_PER_REQUEST says. */
export const MAX_FILES_CEILING = 1000;

/** Default of CHECKPOINT_PUBLISH_MS: how often the leader publishes its checkpoint (5 min). */
export const DEFAULT_CHECKPOINT_PUBLISH_MS = 5 * 60_000;

/** How many steps below the control plane's CPU priority local workers run (WORKER_NICENESS). */
export const DEFAULT_WORKER_NICENESS = 10;

export const envSchema = z
  .object({
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    HOST: z.string().min(1).default('127.0.0.1'),
    API_KEYS: keyList,
    ADMIN_KEYS: keyList,
    API_KEYS_FILE: z.string().min(1).optional(),
    ADMIN_KEYS_FILE: z.string().min(1).optional(),
    ALLOW_ANONYMOUS: z.enum(['true', 'false']).default('false'),
    CORS_ORIGINS: originList,
    TRUST_PROXY: z
      .string()
      .default('false')
      .transform((text): boolean | number | string =>
        text === 'true' ? true : text === 'false' ? false : /^\d+$/.test(text) ? Number(text) : text,
      ),
    RATE_LIMIT_UPLOADS: z.coerce.number().int().min(0).default(0),
    RATE_LIMIT_WINDOW_MS: positiveInt().default(60_000),
    RETENTION_DAYS: z.coerce.number().int().min(0).default(30),
    RETENTION_SWEEP_MS: positiveInt().default(60 * 60 * 1000),
    DATA_DIR: z.string().min(1).default('data'),
    EVENT_STORE: z.enum(['sqlite', 'postgres']).default('sqlite'),
    DATABASE_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'a postgres:// URL (postgres://user:password@host:5432/database)')
      .optional(),
    DATABASE_SCHEMA: z
      .string()
      .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'a lower-case SQL name: letters, digits and _')
      .default('public'),
    LEADER_POLL_MS: positiveInt().default(1_000),
    CHECKPOINT_PUBLISH_MS: z.coerce.number().int().min(0).default(DEFAULT_CHECKPOINT_PUBLISH_MS),
    PROFILE: z.enum(['local', 'aws']).default('local'),
    COMPUTE: z.enum(['local', 'ec2']).optional(),
    MIN_WORKERS: z.coerce.number().int().min(0).default(1),
    MAX_WORKERS: positiveInt().optional(),
    MODEL: z.string().min(1).default('mobilenet_v2_1.0_224_quant'),
    MODEL_MIRROR: z.string().min(1).optional(),
    MAX_UPLOAD_BYTES: positiveInt().default(10 * 1024 * 1024),
    UPLOAD_MEMORY_BYTES: z.coerce
      .number()
      .int()
      .min(0)
      .default(32 * 1024 * 1024),
    MAX_IMAGE_PIXELS: positiveInt().default(DEFAULT_MAX_PIXELS),
    MAX_FILES_PER_REQUEST: positiveInt().max(MAX_FILES_CEILING).default(100),
    MAX_MULTIPART_PARTS: positiveInt().default(120),
    MAX_MULTIPART_FIELDS: z.coerce.number().int().min(0).default(10),
    MAX_FIELD_BYTES: positiveInt().default(64 * 1024),
    MAX_HEADER_PAIRS: positiveInt().default(100),
    MAX_WAITING_CLASSIFY: positiveInt().default(256),
    RESULT_TIMEOUT_MS: positiveInt().default(120_000),
    MAX_ATTEMPTS: positiveInt().max(1000).default(3),
    JOB_DEADLINE_MS: positiveInt().default(DEFAULT_JOB_DEADLINE_MS),
    CRASH_AFTER_EVENT: z.string().min(1).optional(),
    WORKER_THREADS: positiveInt().default(1),
    WORKER_NICENESS: z.coerce.number().int().min(0).max(19).default(DEFAULT_WORKER_NICENESS),
    WORKER_BATCH_SIZE: positiveInt().max(10).default(4),
    BATCH_WAIT_MS: z.coerce.number().int().min(0).max(1000).default(0),
    SCALING_PERIOD_MS: positiveInt().optional(),
    ACCEPTABLE_LATENCY_MS: positiveInt().optional(),
    EXPECTED_BOOT_MS: positiveInt().optional(),
    SERVICE_TIME_MS: positiveInt().optional(),
    SCALE_IN_STABILISATION_MS: z.coerce.number().int().min(0).optional(),
    MAX_SCALE_IN_PER_STEP: positiveInt().optional(),
    COOLDOWN_MS: z.coerce.number().int().min(0).optional(),
    WORKER_IDLE_TIMEOUT_MS: positiveInt().optional(),
    WORKER_HEARTBEAT_TIMEOUT_MS: positiveInt().optional(),
    VISIBILITY_TIMEOUT_MS: positiveInt().default(30_000),
    BATCH_DEADLINE_MS: positiveInt().default(120_000),
  })
  .transform((env) => {
    const compute = env.COMPUTE ?? (env.PROFILE === 'aws' ? 'ec2' : 'local');
    const given = Object.fromEntries(
      Object.entries(env).filter(([, value]) => value !== undefined),
    ) as Partial<typeof env>;
    return { ...env, ...FLEET_DEFAULTS[compute], ...given, COMPUTE: compute };
  })
  .refine((env) => env.EVENT_STORE !== 'postgres' || env.DATABASE_URL !== undefined, {
    message: 'EVENT_STORE=postgres needs DATABASE_URL (postgres://user:password@host:5432/database)',
    path: ['DATABASE_URL'],
  })
  .refine((env) => env.MIN_WORKERS <= env.MAX_WORKERS, {
    message: 'MIN_WORKERS must not exceed MAX_WORKERS',
    path: ['MIN_WORKERS'],
  })
  .refine((env) => env.COMPUTE !== 'ec2' || env.PROFILE === 'aws', {
    message: 'ec2 needs PROFILE=aws: instances cannot reach the local queues',
    path: ['COMPUTE'],
  })
  // Protected mode, as Redis has it: reachable from other hosts only with keys, or knowingly open.
  .refine(
    (env) =>
      isLoopback(env.HOST) ||
      env.API_KEYS.length + env.ADMIN_KEYS.length > 0 ||
      env.API_KEYS_FILE !== undefined ||
      env.ADMIN_KEYS_FILE !== undefined ||
      env.ALLOW_ANONYMOUS === 'true',
    {
      message:
        'listening on a non-loopback address with no keys would let anyone upload, read every job and grow the fleet: ' +
        'set API_KEYS (and ADMIN_KEYS for /debug, /metrics, /api/fleet and /api/controller), ' +
        'or set ALLOW_ANONYMOUS=true if the service must be open (the course grader sends no key)',
      path: ['HOST'],
    },
  );

/** Whether `host` is this machine only (a loopback address or `localhost`). */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}
