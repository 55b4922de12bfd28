import { Logger } from '@nestjs/common';
import type { WEBHOOK_EFFECTS } from '../../state-machines/webhook.machine';
import { WEBHOOK } from '../actors/actor-kinds';
import { EffectHandlers } from '../actors/effect-handlers';
import type { WebhookConfig } from '../config/webhook-config';
import { Clock } from '../ports/clock.port';
import { callbackRefusal } from './callback-url';
import { WebhookAnswer, WebhookSender } from './webhook-sender';
import { SIGNATURE_HEADER, signWebhook } from './webhook-signature';

/** Headers every webhook carries besides its signature. */
export const WEBHOOK_ID_HEADER = 'X-Webhook-Id';
export const WEBHOOK_ATTEMPT_HEADER = 'X-Webhook-Attempt';

/** What the webhook's effects act on. */
export interface WebhookEffectPorts {
  config: Pick<WebhookConfig, 'allowedHosts' | 'secret' | 'timeoutMs'>;
  send: WebhookSender;
  /** Where the signature's timestamp comes from. */
  clock: Pick<Clock, 'now'>;
  /** Default: a Nest `Logger` ('Webhooks'). */
  logger?: Pick<Logger, 'log' | 'warn'>;
}

/**
 * The webhook machine's effects over the ports. `deliverWebhook` POSTs the job's view, signed
 * ({@link SIGNATURE_HEADER}) with the time of this attempt, and reports the receiver's answer as
 * the attempt's event; it throws only when that report cannot be recorded (the host retries it
 * then). Run again after a restart, it sends the same attempt again: a receiver that must act
 * once tells the two apart by {@link WEBHOOK_ID_HEADER}, which is the job's id.
 */
export function webhookEffects({
  config,
  send,
  clock,
  logger = new Logger('Webhooks'),
}: WebhookEffectPorts): EffectHandlers<typeof WEBHOOK_EFFECTS> {
  const attempt = async (
    jobId: string,
    url: string,
    body: string,
    number: number,
  ): Promise<WebhookAnswer> => {
    const refusal = callbackRefusal(url, config);
    if (refusal) return { ok: false, reason: `not sent: ${refusal.message}` };
    if (!config.secret) return { ok: false, reason: 'not sent: WEBHOOK_SECRET is not set' };
    return send({
      url,
      body,
      timeoutMs: config.timeoutMs,
      headers: {
        'Content-Type': 'application/json',
        'User-Agent': 'elastic-image-recognition-webhooks',
        [WEBHOOK_ID_HEADER]: jobId,
        [WEBHOOK_ATTEMPT_HEADER]: String(number),
        [SIGNATURE_HEADER]: signWebhook(config.secret, body, Math.floor(clock.now() / 1000)),
      },
    });
  };
  return {
    deliverWebhook: async ({ jobId, url, body, attempt: number }, { host }) => {
      const answer = await attempt(jobId, url, body, number);
      const streamId = WEBHOOK.streamId(jobId);
      if (answer.ok) {
        await host.dispatch(streamId, {
          type: 'WebhookDelivered',
          attempt: number,
          httpStatus: answer.httpStatus,
        });
        logger.log({ msg: 'webhook delivered', jobId, attempt: number });
        return;
      }
      const { reason, httpStatus } = answer;
      await host.dispatch(streamId, {
        type: 'WebhookAttemptFailed',
        attempt: number,
        reason,
        ...(httpStatus !== undefined && { httpStatus }),
      });
      logger.warn({ msg: 'webhook attempt failed', jobId, attempt: number, reason });
    },
  };
}
