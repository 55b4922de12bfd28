import { createHmac, timingSafeEqual } from 'node:crypto';

/** The header a webhook's signature travels in. */
export const SIGNATURE_HEADER = 'X-Signature';

/** How old a signed timestamp {@link verifyWebhook} takes by default: 5 minutes, as Stripe's. */
export const DEFAULT_TOLERANCE_S = 300;

const hmac = (secret: string, timestampS: number, body: string): string =>
  createHmac('sha256', secret).update(`${timestampS}.${body}`).digest('hex');

/**
 * The value of {@link SIGNATURE_HEADER} for `body` sent at `timestampS` (Unix seconds):
 * `t=<timestamp>,v1=<hex HMAC-SHA256 of "<timestamp>.<body>" with the secret>`. The timestamp is
 * signed with the body, so a receiver that checks its age refuses a replayed request.
 */
export function signWebhook(secret: string, body: string, timestampS: number): string {
  return `t=${timestampS},v1=${hmac(secret, timestampS, body)}`;
}

/**
 * Whether `header` is a signature of `body` with `secret`, made within `toleranceS` of `nowS`
 * (default {@link DEFAULT_TOLERANCE_S}). Compares in constant time.
 */
export function verifyWebhook(
  secret: string,
  body: string,
  header: string | undefined,
  nowS: number,
  toleranceS = DEFAULT_TOLERANCE_S,
): boolean {
  const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header ?? '');
  if (!match) return false;
  const timestampS = Number(match[1]);
  if (Math.abs(nowS - timestampS) > toleranceS) return false;
  const expected = Buffer.from(hmac(secret, timestampS, body), 'hex');
  return timingSafeEqual(expected, Buffer.from(match[2], 'hex'));
}
