import { start } from './fold';
import { given } from './testing/given';
import { webhookMachine, WebhookInput, webhookRetryDelayMs } from './webhook.machine';
import { withoutTimers } from './timers';

const requested: WebhookInput = {
  jobId: 'j1',
  url: 'https://hooks.example.com/jobs',
  body: '{"id":"j1","status":"reported"}',
  maxAttempts: 3,
  retryBaseMs: 1_000,
  retryMaxMs: 1_500,
  at: 1_000,
};
const delivered = (attempt: number) => ({ type: 'WebhookDelivered', attempt, httpStatus: 204, at: 2_000 });
const failed = (attempt: number) => ({
  type: 'WebhookAttemptFailed',
  attempt,
  reason: 'answered HTTP 500',
  httpStatus: 500,
  at: 1_500 + attempt,
});
const retryDue = { type: 'WebhookRetryDue', at: 3_000 };
const delivery = (attempt: number) => ({
  type: 'deliverWebhook',
  params: { jobId: 'j1', url: requested.url, body: requested.body, attempt },
});

describe('webhook machine', () => {
  it('asks for the first attempt as it is created', () => {
    const { snapshot, effects } = start(webhookMachine, requested);
    expect(snapshot.value).toBe('delivering');
    expect(effects).toEqual([delivery(1)]);
  });

  it('is delivered by a 2xx answer to the attempt under way', () => {
    const then = given(webhookMachine, requested).when(delivered(1));
    expect(then.snapshot.value).toBe('delivered');
    expect(then.snapshot.status).toBe('done');
    expect(then.snapshot.context).toMatchObject({
      attempts: 1,
      httpStatus: 204,
      deliveredAt: 2_000,
      endedAt: 2_000,
    });
  });

  it('waits after a failed attempt, on a timer whose firing asks for the next attempt', () => {
    const afterFailure = given(webhookMachine, requested).when(failed(1));
    expect(afterFailure.snapshot.value).toBe('waiting');
    expect(afterFailure.snapshot.context).toMatchObject({
      attempts: 1,
      error: 'answered HTTP 500',
      httpStatus: 500,
    });
    expect(afterFailure.effects).toEqual([
      {
        type: 'startTimer',
        params: { timerId: 'retry', delayMs: 1_000, eventType: 'WebhookRetryDue' },
      },
    ]);
    const retried = given(webhookMachine, requested, failed(1)).when(retryDue);
    expect(retried.snapshot.value).toBe('delivering');
    expect(withoutTimers(retried.effects)).toEqual([delivery(2)]);
  });

  it('waits twice as long after each failure, up to the longest wait', () => {
    expect([1, 2, 3, 4].map((failures) => webhookRetryDelayMs(failures, 1_000, 5_000))).toEqual([
      1_000, 2_000, 4_000, 5_000,
    ]);
    const second = given(webhookMachine, requested, failed(1), retryDue).when(failed(2));
    expect(second.effects).toContainEqual({
      type: 'startTimer',
      params: { timerId: 'retry', delayMs: 1_500, eventType: 'WebhookRetryDue' },
    });
  });

  it('is abandoned when the last attempt fails, with the last reason', () => {
    const then = given(webhookMachine, requested, failed(1), retryDue, failed(2), retryDue).when(failed(3));
    expect(then.snapshot.value).toBe('abandoned');
    expect(then.snapshot.status).toBe('done');
    expect(then.snapshot.context).toMatchObject({ attempts: 3, error: 'answered HTTP 500', endedAt: 1_503 });
  });

  it('ignores the report of an attempt other than the one under way', () => {
    const waiting = given(webhookMachine, requested, failed(1), retryDue);
    expect(waiting.when(failed(1)).changed).toBe(false);
    expect(waiting.when(delivered(1)).changed).toBe(false);
    expect(waiting.when(delivered(2)).snapshot.value).toBe('delivered');
  });

  it('takes no report while it waits, and no retry while it delivers', () => {
    expect(given(webhookMachine, requested, failed(1)).when(delivered(2)).changed).toBe(false);
    expect(given(webhookMachine, requested).when(retryDue).changed).toBe(false);
  });

  it('is abandoned when its effect keeps failing (its outcome could not be recorded)', () => {
    const then = given(webhookMachine, requested).when({
      type: 'EffectFailed',
      effect: 'deliverWebhook',
      reason: 'disk full',
      attempts: 5,
      at: 4_000,
    });
    expect(then.snapshot.value).toBe('abandoned');
    expect(then.snapshot.context.error).toBe('deliverWebhook failed after 5 attempts: disk full');
  });
});
