import { Injectable } from '@nestjs/common';
import type { JobEventView, WebhookDelivery } from '../api/api-schemas';
import type { JobContext } from '../../state-machines/job.machine';
import type { WebhookContext } from '../../state-machines/webhook.machine';
import { ActorHost } from '../actors/actor-host.service';
import { JOB, WEBHOOK } from '../actors/actor-kinds';
import { ServiceError } from '../common/errors';
import { isoTime } from '../common/time';
import { EventStore, StoredEvent } from '../ports/event-store.port';
import { JobListQuery, jobView, JobPage, JobsProjection, JobStatus, JobView } from './jobs.projection';
import { WorkersProjection, WorkerView } from './workers.projection';

export class JobNotFoundError extends ServiceError {
  readonly code = 'job_not_found';
  readonly httpStatus = 404;

  constructor(readonly jobId: string) {
    super(`No job ${jobId}`);
  }
}

export type { JobEventView } from '../api/api-schemas';

/** Read-side queries over the projections and the log. */
@Injectable()
export class QueryService {
  constructor(
    private readonly jobs: JobsProjection,
    private readonly workers: WorkersProjection,
    private readonly store: EventStore,
    private readonly host: ActorHost,
  ) {}

  /** @throws JobNotFoundError */
  async getJob(id: string): Promise<JobView> {
    const job = this.jobs.get(id) ?? (this.store.shared ? await this.fromTheLog(id) : undefined);
    if (!job) throw new JobNotFoundError(id);
    const webhook = job.callbackUrl === undefined ? undefined : await this.webhookDelivery(id);
    return webhook ? { ...job, webhook } : job;
  }

  /** The delivery of the job's webhook, from its actor; undefined until the job ended. */
  private async webhookDelivery(jobId: string): Promise<WebhookDelivery | undefined> {
    const actor = await this.host.find(WEBHOOK.streamId(jobId));
    if (!actor) return undefined;
    const { attempts, httpStatus, error, deliveredAt } = actor.snapshot.context as WebhookContext;
    return {
      status: actor.snapshot.value as WebhookDelivery['status'],
      attempts,
      ...(httpStatus !== undefined && { httpStatus }),
      ...(error !== undefined && { error }),
      ...(deliveredAt !== undefined && { deliveredAt: isoTime(deliveredAt) }),
    };
  }

  /**
   * A job another control plane has just recorded, not followed here yet: folded from its events,
   * so that a client that uploads through one control plane and asks through another finds it.
   */
  private async fromTheLog(id: string): Promise<JobView | undefined> {
    const actor = await this.host.find(JOB.streamId(id));
    if (!actor) return undefined;
    return jobView(id, {
      status: actor.snapshot.value as JobStatus,
      context: actor.snapshot.context as JobContext,
    });
  }

  listJobs(query: JobListQuery): JobPage {
    return this.jobs.list(query);
  }

  /**
   * The job's events straight from the log, with its webhook's (if it has one), in the order
   * they were recorded. @throws JobNotFoundError
   */
  async jobEvents(id: string): Promise<JobEventView[]> {
    const [job, webhook] = await Promise.all([
      this.store.readStream(JOB.streamId(id)),
      this.store.readStream(WEBHOOK.streamId(id)),
    ]);
    if (job.length === 0) throw new JobNotFoundError(id);
    const view =
      (stream: JobEventView['stream']) =>
      ({ type, version, position, recordedAt, data }: StoredEvent): JobEventView => ({
        stream,
        type,
        version,
        position,
        recordedAt: isoTime(recordedAt),
        data,
      });
    return [...job.map(view('job')), ...webhook.map(view('webhook'))].sort((a, b) => a.position - b.position);
  }

  listWorkers(options: { includeEnded?: boolean } = {}): WorkerView[] {
    return this.workers.list(options);
  }
}
