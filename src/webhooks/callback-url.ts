import { ServiceError } from '../common/errors';
import type { WebhookConfig } from '../config/webhook-config';

/** The longest callback URL taken. */
export const MAX_CALLBACK_URL_LENGTH = 2048;

/** A `callbackUrl` that is not an absolute http(s) URL. */
export class InvalidCallbackUrlError extends ServiceError {
  readonly code = 'invalid_callback_url';
  readonly httpStatus = 400;
}

/** A `callbackUrl` whose host is not in WEBHOOK_ALLOWED_HOSTS (or callbacks are off). */
export class CallbackHostNotAllowedError extends ServiceError {
  readonly code = 'callback_host_not_allowed';
  readonly httpStatus = 400;
}

/**
 * Why `url` may not be called back, or undefined when it may: it must be an absolute http or
 * https URL, without credentials, whose host (`host`, or `host:port`) the allow-list names.
 * Checked when a job is submitted, and again before each delivery (the list may have changed).
 */
export function callbackRefusal(
  url: string,
  config: Pick<WebhookConfig, 'allowedHosts'>,
): ServiceError | undefined {
  if (url.length > MAX_CALLBACK_URL_LENGTH)
    return new InvalidCallbackUrlError(`callbackUrl is longer than ${MAX_CALLBACK_URL_LENGTH} characters`);
  if (!URL.canParse(url)) return new InvalidCallbackUrlError('callbackUrl is not an absolute URL');
  const parsed = new URL(url);
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    return new InvalidCallbackUrlError('callbackUrl must be an http or https URL');
  if (parsed.username || parsed.password)
    return new InvalidCallbackUrlError('callbackUrl must not carry credentials: webhooks are signed instead');
  if (config.allowedHosts.length === 0)
    return new CallbackHostNotAllowedError('callbacks are off here: WEBHOOK_ALLOWED_HOSTS names no host');
  if (!config.allowedHosts.includes(parsed.host) && !config.allowedHosts.includes(parsed.hostname))
    return new CallbackHostNotAllowedError(
      `callbackUrl's host ${parsed.host} is not in WEBHOOK_ALLOWED_HOSTS`,
    );
  return undefined;
}

/**
 * The callback URL of a submission, checked; undefined when it names none.
 * @throws InvalidCallbackUrlError, CallbackHostNotAllowedError
 */
export function parseCallbackUrl(
  url: string | undefined,
  config: Pick<WebhookConfig, 'allowedHosts'>,
): string | undefined {
  if (url === undefined) return undefined;
  const refusal = callbackRefusal(url, config);
  if (refusal) throw refusal;
  return url;
}
