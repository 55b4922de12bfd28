import { and, assign, setup } from 'xstate';
import { effect, EffectFailed, EffectOf } from './effects';
import { CancelTimerParams, StartTimerParams, timerActionDeclarations } from './timers';

/**
 * Payload of `WebhookRequested`, the event that creates a webhook: a job whose client gave a
 * callback URL has ended. The webhook's stream is named after the job.
 */
export interface WebhookInput {
  jobId: string;
  url: string;
  /** The JSON to POST, the job's view as it ended; in the log, so every attempt sends the same bytes. */
  body: string;
  /** Attempts before the webhook is abandoned. */
  maxAttempts: number;
  /** The wait after the first failed attempt; each later one waits twice as long as the one before. */
  retryBaseMs: number;
  /** The longest wait between two attempts. */
  retryMaxMs: number;
  at: number;
}

export type WebhookEvent =
  | { type: 'WebhookDelivered'; attempt: number; httpStatus: number; at: number }
  | {
      type: 'WebhookAttemptFailed';
      attempt: number;
      reason: string;
      /** The receiver's answer, when it answered. */
      httpStatus?: number;
      at: number;
    }
  | { type: 'WebhookRetryDue'; at: number }
  | EffectFailed;

export interface WebhookContext extends Omit<WebhookInput, 'at'> {
  /** Attempts made and answered (delivered or failed). */
  attempts: number;
  requestedAt: number;
  httpStatus?: number;
  error?: string;
  deliveredAt?: number;
  endedAt?: number;
}

/** Params of `deliverWebhook`: one POST of the body to the URL, signed, numbered. */
export interface DeliverWebhookParams {
  jobId: string;
  url: string;
  body: string;
  attempt: number;
}

/** The effects a webhook asks for; the host performs them. */
export const WEBHOOK_EFFECTS = {
  deliverWebhook: effect<DeliverWebhookParams>(),
};
export type WebhookEffect = EffectOf<typeof WEBHOOK_EFFECTS>;

/** The wait before the next attempt once `failed` attempts failed: base × 2^(failed − 1), at most `maxMs`. */
export function webhookRetryDelayMs(failed: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, failed - 1));
}

type Failure = Extract<WebhookEvent, { type: 'WebhookAttemptFailed' }>;
type Delivery = Extract<WebhookEvent, { type: 'WebhookDelivered' }>;

/**
 * The delivery of one job's webhook: an attempt, and after each failure a timer whose firing
 * starts the next, waiting twice as long each time, until the receiver answers 2xx (delivered)
 * or `maxAttempts` failed (abandoned). Each attempt's outcome is an event, and so is each timer's
 * firing, so the log says what was tried and replay re-arms a wait cut short. A report of an
 * attempt other than the one under way (a second run of the effect after a restart) is ignored.
 * Pure: times arrive in events; the delivery is an effect the host performs.
 */
export const webhookMachine = setup({
  types: {
    context: {} as WebhookContext,
    events: {} as WebhookEvent,
    input: {} as WebhookInput,
  },
  actions: {
    ...timerActionDeclarations,
    ...WEBHOOK_EFFECTS,
    recordDelivery: assign(({ event }) => {
      const { attempt, httpStatus, at } = event as Delivery;
      return { attempts: attempt, httpStatus, deliveredAt: at, error: undefined };
    }),
    recordFailure: assign(({ event }) => {
      const { attempt, reason, httpStatus } = event as Failure;
      return { attempts: attempt, error: reason, httpStatus };
    }),
    recordEffectFailure: assign(({ event }) => {
      const { effect, reason, attempts } = event as EffectFailed;
      return { error: `${effect} failed after ${attempts} attempts: ${reason}` };
    }),
    recordEnd: assign({ endedAt: ({ event }) => event.at }),
  },
  guards: {
    isCurrentAttempt: ({ context, event }) => (event as Failure | Delivery).attempt === context.attempts + 1,
    isLastAttempt: ({ context }) => context.attempts + 1 >= context.maxAttempts,
  },
}).createMachine({
  id: 'webhook',
  initial: 'delivering',
  context: ({ input }) => ({
    jobId: input.jobId,
    url: input.url,
    body: input.body,
    maxAttempts: input.maxAttempts,
    retryBaseMs: input.retryBaseMs,
    retryMaxMs: input.retryMaxMs,
    attempts: 0,
    requestedAt: input.at,
  }),
  states: {
    delivering: {
      entry: {
        type: 'deliverWebhook',
        params: ({ context }) => ({
          jobId: context.jobId,
          url: context.url,
          body: context.body,
          attempt: context.attempts + 1,
        }),
      },
      on: {
        WebhookDelivered: { guard: 'isCurrentAttempt', target: 'delivered', actions: 'recordDelivery' },
        WebhookAttemptFailed: [
          {
            guard: and(['isCurrentAttempt', 'isLastAttempt']),
            target: 'abandoned',
            actions: 'recordFailure',
          },
          { guard: 'isCurrentAttempt', target: 'waiting', actions: 'recordFailure' },
        ],
        EffectFailed: { target: 'abandoned', actions: 'recordEffectFailure' },
      },
    },
    waiting: {
      entry: {
        type: 'startTimer',
        params: ({ context }): StartTimerParams => ({
          timerId: 'retry',
          delayMs: webhookRetryDelayMs(context.attempts, context.retryBaseMs, context.retryMaxMs),
          eventType: 'WebhookRetryDue',
        }),
      },
      exit: { type: 'cancelTimer', params: (): CancelTimerParams => ({ timerId: 'retry' }) },
      on: { WebhookRetryDue: 'delivering' },
    },
    delivered: { type: 'final', entry: 'recordEnd' },
    abandoned: { type: 'final', entry: 'recordEnd' },
  },
});
