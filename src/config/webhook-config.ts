import { z } from 'zod';
import { commaSeparated, parseEnv, positiveInt } from './env';

/** Whether `entry` is a host, or a host and port, as a URL's `host` spells it (`example.com`, `10.0.0.5:8080`, `[::1]:9000`). */
function isHostEntry(entry: string): boolean {
  if (!URL.canParse(`http://${entry}`)) return false;
  const url = new URL(`http://${entry}`);
  return url.pathname === '/' && !url.username && [url.host, url.hostname].includes(entry.toLowerCase());
}

const webhookSchema = z
  .object({
    WEBHOOK_ALLOWED_HOSTS: commaSeparated().refine(
      (hosts) => hosts.every(isHostEntry),
      'each entry must be a host name or address, with an optional port (example.com, hooks.example.com:8443)',
    ),
    WEBHOOK_SECRET: z.string().min(16, 'must be at least 16 characters: it is an HMAC key').optional(),
    WEBHOOK_MAX_ATTEMPTS: positiveInt().max(100).default(10),
    WEBHOOK_RETRY_BASE_MS: positiveInt().default(1_000),
    WEBHOOK_RETRY_MAX_MS: positiveInt().default(300_000),
    WEBHOOK_TIMEOUT_MS: positiveInt().default(10_000),
  })
  .refine((env) => env.WEBHOOK_ALLOWED_HOSTS.length === 0 || env.WEBHOOK_SECRET !== undefined, {
    message: 'webhooks are signed: set WEBHOOK_SECRET (at least 16 characters) with WEBHOOK_ALLOWED_HOSTS',
    path: ['WEBHOOK_SECRET'],
  });

/**
 * Webhooks: `POST /api/jobs` may name a `callbackUrl`, which the service POSTs the job's view to
 * when the job ends, signed (see `signWebhook`) and retried with backoff.
 */
export interface WebhookConfig {
  /**
   * The hosts a callback URL may name (env WEBHOOK_ALLOWED_HOSTS, comma-separated: `host`, any
   * port; `host:port`, that port only). None by default: callback URLs are refused, so that no
   * client can make the service call into its own network.
   */
  allowedHosts: string[];
  /** The HMAC-SHA256 key of the signatures (env WEBHOOK_SECRET, at least 16 characters; needed with WEBHOOK_ALLOWED_HOSTS). */
  secret?: string;
  /** Attempts before a webhook is abandoned (env WEBHOOK_MAX_ATTEMPTS, default 10). */
  maxAttempts: number;
  /** The wait after the first failure, doubling after each later one (env WEBHOOK_RETRY_BASE_MS, default 1 000). */
  retryBaseMs: number;
  /** The longest wait between attempts (env WEBHOOK_RETRY_MAX_MS, default 300 000). */
  retryMaxMs: number;
  /** How long one attempt waits for the receiver's answer (env WEBHOOK_TIMEOUT_MS, default 10 000). */
  timeoutMs: number;
}

/** Reads the webhook settings; every problem is named in one `InvalidConfigError`. */
export function loadWebhookConfig(env: NodeJS.ProcessEnv): WebhookConfig {
  const e = parseEnv(webhookSchema, env, 'webhook configuration');
  return {
    allowedHosts: e.WEBHOOK_ALLOWED_HOSTS.map((host) => host.toLowerCase()),
    secret: e.WEBHOOK_SECRET,
    maxAttempts: e.WEBHOOK_MAX_ATTEMPTS,
    retryBaseMs: e.WEBHOOK_RETRY_BASE_MS,
    retryMaxMs: e.WEBHOOK_RETRY_MAX_MS,
    timeoutMs: e.WEBHOOK_TIMEOUT_MS,
  };
}
