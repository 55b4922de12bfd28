import { Inject, Injectable, Logger } from '@nestjs/common';
import { Gauge, Registry } from 'prom-client';
import { REQUEST_QUEUE } from '../pipeline/queue-tokens';
import { Queue } from '../ports/queue.port';
import { JobsProjection } from '../projections/jobs.projection';
import { WorkersProjection, WorkerState } from '../projections/workers.projection';
import { METRIC_PREFIX } from './metrics.registry';

const WORKER_STATES: readonly WorkerState[] = [
  'pending',
  'running',
  'idle',
  'terminating',
  'terminated',
  'lost',
];

/**
 * Gauges of the service's current state, read at scrape time: jobs and workers by state from the
 * read models (rebuilt from the log at boot, so they survive a restart), and the request queue's
 * approximate counts.
 */
@Injectable()
export class StateGauges {
  private readonly logger = new Logger(StateGauges.name);

  constructor(
    registry: Registry,
    jobs: JobsProjection,
    workers: WorkersProjection,
    @Inject(REQUEST_QUEUE) requests: Queue,
  ) {
    const logger = this.logger;
    new Gauge({
      name: `${METRIC_PREFIX}jobs`,
      help: 'Jobs in each state, from the jobs read model (every job in the event log).',
      labelNames: ['state'],
      registers: [registry],
      collect() {
        Object.entries(jobs.countByStatus()).forEach(([state, count]) => this.set({ state }, count));
      },
    });
    new Gauge({
      name: `${METRIC_PREFIX}workers`,
      help: 'Workers in each state, from the workers read model (ended workers included).',
      labelNames: ['state'],
      registers: [registry],
      collect() {
        const counts = new Map<string, number>(WORKER_STATES.map((state) => [state, 0]));
        workers
          .list({ includeEnded: true })
          .forEach(({ state }) => counts.set(state, (counts.get(state) ?? 0) + 1));
        counts.forEach((count, state) => this.set({ state }, count));
      },
    });
    new Gauge({
      name: `${METRIC_PREFIX}request_queue_messages`,
      help:
        'Messages in the request queue (approximate): visible = waiting for a worker, ' +
        'in_flight = received and not yet deleted, delayed = sent with a delay not yet passed.',
      labelNames: ['state'],
      registers: [registry],
      async collect() {
        try {
          const { visible, inFlight, delayed } = await requests.approximateCounts();
          this.set({ state: 'visible' }, visible);
          this.set({ state: 'in_flight' }, inFlight);
          this.set({ state: 'delayed' }, delayed);
        } catch (error) {
          // No sample beats a stale one, and one failing source must not fail the whole scrape.
          this.reset();
          logger.warn(`Request queue counts unavailable for /metrics: ${(error as Error).message}`);
        }
      },
    });
  }
}
