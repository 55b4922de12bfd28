import { resolve } from 'node:path';
import { AwsConfig, Ec2Config, loadAwsConfig, loadEc2Config } from './aws-config';
import { InvalidConfigError, parseEnv } from './env';
import { envSchema } from './env-schema';
import { loadWebhookConfig, WebhookConfig } from './webhook-config';
import type { BackendSettings } from './backend-settings';
import { keyDigest } from '../security/api-keys';
import { readKeyFile } from '../security/key-file';

/** The control plane's settings, read from the environment and validated once at start. */
export interface AppConfig {
  /**
   * Address to listen on (env HOST, default `127.0.0.1`: this machine only). Any other address
   * needs keys, or ALLOW_ANONYMOUS=true.
   */
  host: string;
  /**
   * The keys' SHA-256 digests ({@link keyDigest}): from env API_KEYS and ADMIN_KEYS
   * (comma-separated, each ≥ 16 characters) and the files API_KEYS_FILE and ADMIN_KEYS_FILE
   * ({@link readKeyFile}); none by default. With any set, uploads and the REST API need an API
   * or admin key, and `/debug`, `/metrics`, `/api/fleet` and `/api/controller` an admin key.
   * The keys themselves are not kept.
   */
  keys: { api: Buffer[]; admin: Buffer[] };
  /**
   * Which proxies in front are trusted to say who the client is (`X-Forwarded-For`), as Express's
   * `trust proxy` takes it (env TRUST_PROXY: `false`, the default; `true`; a number of hops; or
   * addresses and subnets such as `loopback` or `10.0.0.0/8`). Behind a TLS proxy, set it, so that
   * rate limits without keys count each client rather than the proxy.
   */
  trustProxy: boolean | number | string;
  /** Origins whose pages may call the API from a browser (env CORS_ORIGINS, comma-separated; none by default: CORS off). */
  corsOrigins: string[];
  /**
   * Upload requests one key (or one address, without keys) may make per window, past which 429
   * with `Retry-After` (env RATE_LIMIT_UPLOADS, default 0: no limit; RATE_LIMIT_WINDOW_MS,
   * default 60 000).
   */
  uploadRateLimit?: { limit: number; windowMs: number };
  /**
   * How long the inputs and outputs of finished jobs are kept (env RETENTION_DAYS, default 30;
   * 0 keeps them forever), and how often the sweep that deletes older ones runs
   * (RETENTION_SWEEP_MS, default 3 600 000). Jobs' records and labels stay.
   */
  retention: { days: number; sweepMs: number };
  /** HTTP port (env PORT, default 3000; 0 = any free port). */
  port: number;
  /** Folder for the SQLite files and stored objects (env DATA_DIR, default `./data`). */
  dataDir: string;
  /**
   * Where the event log is (env EVENT_STORE): `sqlite`, the default, a file in DATA_DIR; or
   * `postgres`, the database at DATABASE_URL, in the schema DATABASE_SCHEMA (default `public`,
   * created if missing, its tables migrated at start). The log's checkpoint is in DATA_DIR.
   * Several control planes may share a log on PostgreSQL: one leads (see `Leadership`), and the
   * others try to take the lead every `leaderPollMs` (env LEADER_POLL_MS, default 1 000). The
   * leader publishes its checkpoint into the database every `checkpointPublishMs` when the log has
   * moved (env CHECKPOINT_PUBLISH_MS, default 300 000; 0: never), and a control plane whose own is
   * missing or older starts from it.
   */
  eventStore:
    | { kind: 'sqlite' }
    | { kind: 'postgres'; url: string; schema: string; leaderPollMs?: number; checkpointPublishMs?: number };
  /** Which adapters back the queues and objects (env PROFILE: `local`, the default: SQLite and files; `aws`: SQS and S3). */
  profile: 'local' | 'aws';
  /**
   * Where workers run (env COMPUTE: `local`, child processes, the default with PROFILE=local;
   * `ec2`, instances, the default with PROFILE=aws). PROFILE=aws with COMPUTE=local runs the
   * workers here against SQS and S3.
   */
  compute: 'local' | 'ec2';
  /** The queues, bucket and endpoints of PROFILE=aws; see {@link AwsConfig}. */
  aws?: AwsConfig;
  /** How COMPUTE=ec2 launches instances; see {@link Ec2Config}. */
  ec2?: Ec2Config;
  /** Always-on workers (env MIN_WORKERS, default 1). */
  minWorkers: number;
  /** Most workers at once (env MAX_WORKERS, default: the number of cores; 19 with COMPUTE=ec2). */
  maxWorkers: number;
  /** Model id, a manifest in `models/` (env MODEL, default `mobilenet_v2_1.0_224_quant`). */
  model: string;
  /** Folder holding model files to copy instead of downloading (env MODEL_MIRROR, default `../shared/models` if present). */
  modelMirror?: string;
  /** Largest upload accepted, bytes (env MAX_UPLOAD_BYTES, default 10 MiB). */
  maxUploadBytes: number;
  /**
   * Most bytes of uploads held in memory while their requests run (env UPLOAD_MEMORY_BYTES,
   * default 32 MiB; 0 writes every upload to a temporary file). Files over 4 MiB always go to disk.
   */
  uploadMemoryBytes: number;
  /** Largest image accepted, width × height (env MAX_IMAGE_PIXELS, default 50 000 000). */
  maxImagePixels: number;
  /**
   * Bounds on one multipart request: files (env MAX_FILES_PER_REQUEST, default 100, at most
   * 1 000), parts of any kind (MAX_MULTIPART_PARTS, 120), text fields (MAX_MULTIPART_FIELDS, 10),
   * bytes of one field's value (MAX_FIELD_BYTES, 65 536) and header pairs of one part
   * (MAX_HEADER_PAIRS, 100). Past one, 400 or 413 with the limit named.
   */
  multipart: { files: number; parts: number; fields: number; fieldBytes: number; headerPairs: number };
  /** Most `POST /` waiting for their label at once; past it, 503 with `Retry-After` (env MAX_WAITING_CLASSIFY, default 256). */
  maxWaitingClassify: number;
  /** How long `POST /` waits for a label before answering 504 (env RESULT_TIMEOUT_MS, default 120 000). */
  resultTimeoutMs: number;
  /** Deliveries of a job before it is dead-lettered and fails (env MAX_ATTEMPTS, default 3). */
  maxAttempts: number;
  /** A job waiting this long with no attempt under way is enqueued again (env JOB_DEADLINE_MS, default 3 600 000). */
  jobDeadlineMs: number;
  /**
   * Fault injection, for tests: the control plane kills itself (SIGKILL) right after appending
   * the first event that matches (env CRASH_AFTER_EVENT, unset by default); see `parseCrashPoint`.
   */
  crashAfterEvent?: string;
  /** ONNX Runtime threads per worker (env WORKER_THREADS, default 1: scale with processes). */
  workerThreads: number;
  /**
   * How much lower the worker processes' CPU priority is than the control plane's, on the local
   * profile (env WORKER_NICENESS, 0–19, default 10): the control plane keeps the CPU it needs to
   * take uploads while workers classify on the same cores; they take all the rest.
   */
  workerNiceness: number;
  /** Jobs a worker takes and classifies together (env WORKER_BATCH_SIZE, 1–10, default 4). */
  workerBatchSize: number;
  /** How long a worker may go on filling a short batch while the queue shows more (env BATCH_WAIT_MS, 0–1 000, default 0); see `fillBatch`. */
  batchWaitMs: number;
  /** How often the controller looks at the backlog (env SCALING_PERIOD_MS, default 1 000; 2 000 with COMPUTE=ec2; a worker that runs dry asks for a look at once). */
  scalingPeriodMs: number;
  /** The scaling policy's numbers; see the README's table for each variable and its defaults (local, ec2). */
  scaling: {
    acceptableLatencyMs: number;
    expectedBootMs: number;
    defaultServiceTimeMs: number;
    scaleInStabilisationMs: number;
    maxScaleInPerStep: number;
    cooldownMs: number;
  };
  /** A worker with no job for this long is idle, unless it reported an empty receive sooner (env WORKER_IDLE_TIMEOUT_MS, default 2 000). */
  workerIdleTimeoutMs: number;
  /** A worker silent for this long is lost (env WORKER_HEARTBEAT_TIMEOUT_MS, default 30 000; 180 000 with COMPUTE=ec2); one not started 3 × EXPECTED_BOOT_MS (at least 30 s) after its launch too. */
  workerHeartbeatTimeoutMs: number;
  /** How long a job received by a worker stays hidden; workers extend it while they work (env VISIBILITY_TIMEOUT_MS, default 30 000). */
  visibilityTimeoutMs: number;
  /** A worker gives up a batch that takes longer, and its jobs come back (env BATCH_DEADLINE_MS, default 120 000). */
  batchDeadlineMs: number;
  /** Callbacks when jobs end; see {@link WebhookConfig}. */
  webhooks: WebhookConfig;
}

export { InvalidConfigError } from './env';
export { DEFAULT_CHECKPOINT_PUBLISH_MS, isLoopback, MAX_FILES_CEILING } from './env-schema';

/** Reads and validates the configuration; every problem is named in one error. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const e = parseEnv(envSchema, env, 'configuration');
  const compute = e.COMPUTE;
  return {
    port: e.PORT,
    host: e.HOST,
    keys: {
      api: [
        ...e.API_KEYS.map(keyDigest),
        ...(e.API_KEYS_FILE ? readKeyFile(e.API_KEYS_FILE, 'API_KEYS_FILE') : []),
      ],
      admin: [
        ...e.ADMIN_KEYS.map(keyDigest),
        ...(e.ADMIN_KEYS_FILE ? readKeyFile(e.ADMIN_KEYS_FILE, 'ADMIN_KEYS_FILE') : []),
      ],
    },
    corsOrigins: e.CORS_ORIGINS,
    trustProxy: e.TRUST_PROXY,
    uploadRateLimit:
      e.RATE_LIMIT_UPLOADS > 0
        ? { limit: e.RATE_LIMIT_UPLOADS, windowMs: e.RATE_LIMIT_WINDOW_MS }
        : undefined,
    retention: { days: e.RETENTION_DAYS, sweepMs: e.RETENTION_SWEEP_MS },
    dataDir: resolve(e.DATA_DIR),
    eventStore:
      e.EVENT_STORE === 'postgres'
        ? {
            kind: 'postgres',
            url: e.DATABASE_URL!,
            schema: e.DATABASE_SCHEMA,
            leaderPollMs: e.LEADER_POLL_MS,
            checkpointPublishMs: e.CHECKPOINT_PUBLISH_MS,
          }
        : { kind: 'sqlite' },
    profile: e.PROFILE,
    compute,
    aws: e.PROFILE === 'aws' ? loadAwsConfig(env) : undefined,
    ec2: compute === 'ec2' ? loadEc2Config(env) : undefined,
    minWorkers: e.MIN_WORKERS,
    maxWorkers: e.MAX_WORKERS,
    model: e.MODEL,
    modelMirror: e.MODEL_MIRROR && resolve(e.MODEL_MIRROR),
    maxUploadBytes: e.MAX_UPLOAD_BYTES,
    uploadMemoryBytes: e.UPLOAD_MEMORY_BYTES,
    maxImagePixels: e.MAX_IMAGE_PIXELS,
    multipart: {
      files: e.MAX_FILES_PER_REQUEST,
      parts: e.MAX_MULTIPART_PARTS,
      fields: e.MAX_MULTIPART_FIELDS,
      fieldBytes: e.MAX_FIELD_BYTES,
      headerPairs: e.MAX_HEADER_PAIRS,
    },
    maxWaitingClassify: e.MAX_WAITING_CLASSIFY,
    resultTimeoutMs: e.RESULT_TIMEOUT_MS,
    maxAttempts: e.MAX_ATTEMPTS,
    jobDeadlineMs: e.JOB_DEADLINE_MS,
    crashAfterEvent: e.CRASH_AFTER_EVENT,
    workerThreads: e.WORKER_THREADS,
    workerNiceness: e.WORKER_NICENESS,
    workerBatchSize: e.WORKER_BATCH_SIZE,
    batchWaitMs: e.BATCH_WAIT_MS,
    scalingPeriodMs: e.SCALING_PERIOD_MS,
    scaling: {
      acceptableLatencyMs: e.ACCEPTABLE_LATENCY_MS,
      expectedBootMs: e.EXPECTED_BOOT_MS,
      defaultServiceTimeMs: e.SERVICE_TIME_MS,
      scaleInStabilisationMs: e.SCALE_IN_STABILISATION_MS,
      maxScaleInPerStep: e.MAX_SCALE_IN_PER_STEP,
      cooldownMs: e.COOLDOWN_MS,
    },
    workerIdleTimeoutMs: e.WORKER_IDLE_TIMEOUT_MS,
    workerHeartbeatTimeoutMs: e.WORKER_HEARTBEAT_TIMEOUT_MS,
    visibilityTimeoutMs: e.VISIBILITY_TIMEOUT_MS,
    batchDeadlineMs: e.BATCH_DEADLINE_MS,
    webhooks: loadWebhookConfig(env),
  };
}

/** The configuration for tests: defaults, with `overrides`. */
export function testConfig(overrides: Partial<AppConfig> = {}): AppConfig {
  return { ...loadConfig({}), ...overrides };
}

/** DI token of {@link AppConfig}. */
export const APP_CONFIG = Symbol('AppConfig');

/** The backend the control plane and its workers share, as {@link openBackend} takes it. */
export function backendSettings(config: AppConfig): BackendSettings {
  if (config.profile === 'aws') {
    if (!config.aws) throw new InvalidConfigError('PROFILE=aws needs its AWS configuration');
    return { profile: 'aws', aws: config.aws };
  }
  return { profile: 'local', dataDir: config.dataDir, maxAttempts: config.maxAttempts };
}
