import { errorMessage } from '../common/errors';

/** One webhook request, signed already. */
export interface WebhookRequest {
  url: string;
  body: string;
  headers: Record<string, string>;
  timeoutMs: number;
}

/** How a receiver took one request: a 2xx answer, or why not. */
export type WebhookAnswer =
  { ok: true; httpStatus: number } | { ok: false; reason: string; httpStatus?: number };

/** Sends a webhook request; never throws: a failure is an answer that says why. */
export type WebhookSender = (request: WebhookRequest) => Promise<WebhookAnswer>;

/**
 * POSTs with Node's `fetch`. A 2xx answer is a delivery; anything else, a redirect included (a
 * redirect could lead off the allow-list), a time-out or a connection refused is a failure
 * saying why. The answer's body is not read.
 */
export const httpWebhookSender: WebhookSender = async ({ url, body, headers, timeoutMs }) => {
  try {
    const res = await fetch(url, {
      method: 'POST',
      body,
      headers,
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
    await res.body?.cancel();
    if (res.status >= 200 && res.status < 300) return { ok: true, httpStatus: res.status };
    return { ok: false, reason: `answered HTTP ${res.status}`, httpStatus: res.status };
  } catch (error) {
    if ((error as Error).name === 'TimeoutError')
      return { ok: false, reason: `no answer within ${timeoutMs} ms` };
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return { ok: false, reason: cause?.code ?? cause?.message ?? errorMessage(error) };
  }
};
