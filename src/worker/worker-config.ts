import { resolve } from 'node:path';
import { z } from 'zod';
import type { BackendSettings } from '../config/backend-settings';
import { loadAwsConfig } from '../config/aws-config';
import { DEFAULT_MAX_PIXELS } from '../classifier/image-preprocessor';
import { parseEnv, positiveInt } from '../config/env';

const schema = z.object({
  WORKER_ID: z.string().min(1),
  INSTANCE_ID: z.string().min(1).optional(),
  PROFILE: z.enum(['local', 'aws']).default('local'),
  DATA_DIR: z.string().min(1).default('data'),
  MODEL: z.string().min(1).default('mobilenet_v2_1.0_224_quant'),
  MODEL_MIRROR: z.string().min(1).optional(),
  MAX_ATTEMPTS: positiveInt().max(1000).default(3),
  WORKER_THREADS: positiveInt().default(1),
  WORKER_BATCH_SIZE: positiveInt().max(10).default(4),
  BATCH_WAIT_MS: z.coerce.number().int().min(0).max(1000).default(0),
  HEARTBEAT_MS: positiveInt().default(5000),
  VISIBILITY_TIMEOUT_MS: positiveInt().default(30_000),
  BATCH_DEADLINE_MS: positiveInt().default(120_000),
  MAX_IMAGE_PIXELS: positiveInt().default(DEFAULT_MAX_PIXELS),
});

/** A worker process's settings; the control plane passes them in the environment when it launches one. */
export interface WorkerConfig {
  /** The control plane's id for this worker (env WORKER_ID, required). */
  workerId: string;
  /** The provider's id of this instance (env INSTANCE_ID, default: `pid-<pid>`). */
  instanceId: string;
  /**
   * Where the queues and objects are: with env PROFILE `local` (the default), SQLite files and a
   * folder under env DATA_DIR (default `./data`); with `aws`, the SQS queues and the S3 bucket the
   * AWS variables name (see `loadAwsConfig`).
   */
  backend: BackendSettings;
  /** Model id (env MODEL, default `mobilenet_v2_1.0_224_quant`). */
  model: string;
  /** Folder to copy model files from (env MODEL_MIRROR, default `../shared/models` if present). */
  modelMirror?: string;
  /** Must equal the control plane's: the request queue's redrive setting (env MAX_ATTEMPTS, default 3). */
  maxAttempts: number;
  /** ONNX Runtime threads (env WORKER_THREADS, default 1). */
  threads: number;
  /** Jobs taken and classified together (env WORKER_BATCH_SIZE, 1–10, default 4). */
  batchSize: number;
  /** How long to go on filling a short batch while the queue shows more (env BATCH_WAIT_MS, 0–1 000, default 0); see `fillBatch`. */
  batchWaitMs: number;
  /** How often the worker reports it is alive (env HEARTBEAT_MS, default 5 000). */
  heartbeatMs: number;
  /** How long a received job stays hidden from other workers, extended while worked on (env VISIBILITY_TIMEOUT_MS, default 30 000). */
  visibilityTimeoutMs: number;
  /** A batch that takes longer is given up and its jobs left to come back (env BATCH_DEADLINE_MS, default 120 000). */
  batchDeadlineMs: number;
  /** The largest image the worker decodes, width × height, as the control plane's upload limit (env MAX_IMAGE_PIXELS, default 50 000 000). */
  maxImagePixels: number;
}

export function loadWorkerConfig(env: NodeJS.ProcessEnv = process.env): WorkerConfig {
  const e = parseEnv(schema, env, 'worker configuration');
  return {
    workerId: e.WORKER_ID,
    instanceId: e.INSTANCE_ID ?? `pid-${process.pid}`,
    backend:
      e.PROFILE === 'aws'
        ? { profile: 'aws', aws: loadAwsConfig(env) }
        : { profile: 'local', dataDir: resolve(e.DATA_DIR), maxAttempts: e.MAX_ATTEMPTS },
    model: e.MODEL,
    modelMirror: e.MODEL_MIRROR && resolve(e.MODEL_MIRROR),
    maxAttempts: e.MAX_ATTEMPTS,
    threads: e.WORKER_THREADS,
    batchSize: e.WORKER_BATCH_SIZE,
    batchWaitMs: e.BATCH_WAIT_MS,
    heartbeatMs: e.HEARTBEAT_MS,
    visibilityTimeoutMs: e.VISIBILITY_TIMEOUT_MS,
    batchDeadlineMs: e.BATCH_DEADLINE_MS,
    maxImagePixels: e.MAX_IMAGE_PIXELS,
  };
}

export const WORKER_CONFIG = Symbol('WorkerConfig');
