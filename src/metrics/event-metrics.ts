import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { Counter, Histogram, Registry } from 'prom-client';
import { Subscription } from 'rxjs';
import type { ScalingDecision } from '../../state-machines/scaling-policy';
import type { JobContext } from '../../state-machines/job.machine';
import { ActorChange, ActorHost } from '../actors/actor-host.service';
import { CONTROLLER, JOB, WEBHOOK } from '../actors/actor-kinds';
import { METRIC_PREFIX } from './metrics.registry';

/** Buckets of the classification latency, seconds: queue waits and worker boots reach minutes. */
export const CLASSIFICATION_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

const SCALING_ACTIONS: readonly ScalingDecision['action'][] = ['scaleOut', 'scaleIn', 'hold'];

/** Webhook attempts by outcome, as the `outcome` label spells them, from their events. */
const WEBHOOK_OUTCOMES = { WebhookDelivered: 'delivered', WebhookAttemptFailed: 'failed' } as const;

/**
 * Metrics counted from events as this process records them (the live path): the classification
 * latency of each job, the controller's scaling decisions and the webhooks' attempts. Replayed events are skipped, so a
 * restart starts them from zero — a counter reset, as Prometheus expects — instead of counting
 * the log's history again. A duplicate `JobClassified` is ignored by the job machine and never
 * reaches here, so each job is observed once.
 */
@Injectable()
export class EventMetrics implements OnModuleDestroy {
  private readonly classification: Histogram;
  private readonly decisions: Counter<'action'>;
  private readonly webhookAttempts: Counter<'outcome'>;
  private readonly subscription: Subscription;

  constructor(registry: Registry, host: ActorHost) {
    this.classification = new Histogram({
      name: `${METRIC_PREFIX}classification_latency_seconds`,
      help: 'Seconds from JobUploaded to JobClassified of each job classified since this process started.',
      buckets: CLASSIFICATION_BUCKETS,
      registers: [registry],
    });
    this.decisions = new Counter({
      name: `${METRIC_PREFIX}scaling_decisions_total`,
      help: "The controller's scaling decisions (ScalingDecided events) recorded since this process started.",
      labelNames: ['action'],
      registers: [registry],
    });
    SCALING_ACTIONS.forEach((action) => this.decisions.inc({ action }, 0));
    this.webhookAttempts = new Counter({
      name: `${METRIC_PREFIX}webhook_attempts_total`,
      help: 'Webhook attempts by outcome (delivered: a 2xx answer; failed: anything else) since this process started.',
      labelNames: ['outcome'],
      registers: [registry],
    });
    Object.values(WEBHOOK_OUTCOMES).forEach((outcome) => this.webhookAttempts.inc({ outcome }, 0));
    this.subscription = host.changes$.subscribe((change) => this.observe(change));
  }

  onModuleDestroy(): void {
    this.subscription.unsubscribe();
  }

  private observe({ actor, event, replayed, foreign }: ActorChange): void {
    // Another control plane's events are its own to count.
    if (replayed || foreign) return;
    if (actor.kind === JOB && event.type === 'JobClassified') {
      const { uploadedAt } = actor.snapshot.context as JobContext;
      const classifiedAt = event.data.at as number;
      this.classification.observe(Math.max(0, classifiedAt - uploadedAt) / 1000);
    }
    if (actor.kind === CONTROLLER && event.type === 'ScalingDecided') {
      const { decision } = event.data as { decision: ScalingDecision };
      this.decisions.inc({ action: decision.action });
    }
    if (actor.kind === WEBHOOK && event.type in WEBHOOK_OUTCOMES) {
      this.webhookAttempts.inc({ outcome: WEBHOOK_OUTCOMES[event.type as keyof typeof WEBHOOK_OUTCOMES] });
    }
  }
}
