import { Injectable } from '@nestjs/common';
import type { JobEventView } from '../api/api-schemas';
import { JOB } from '../actors/actor-kinds';
import { ServiceError } from '../common/errors';
import { isoTime } from '../common/time';
import { EventStore } from '../ports/event-store.port';
import { JobPage, JobsProjection, JobStatus, JobView } from './jobs.projection';
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
  ) {}

  /** @throws JobNotFoundError */
  getJob(id: string): JobView {
    const job = this.jobs.get(id);
    if (!job) throw new JobNotFoundError(id);
    return job;
  }

  listJobs(query: { offset: number; limit: number; status?: JobStatus }): JobPage {
    return this.jobs.list(query);
  }

  /** The job's events in order, straight from the log. @throws JobNotFoundError */
  async jobEvents(id: string): Promise<JobEventView[]> {
    const events = await this.store.readStream(JOB.streamId(id));
    if (events.length === 0) throw new JobNotFoundError(id);
    return events.map(({ type, version, position, recordedAt, data }) => ({
      type,
      version,
      position,
      recordedAt: isoTime(recordedAt),
      data,
    }));
  }

  listWorkers(options: { includeEnded?: boolean } = {}): WorkerView[] {
    return this.workers.list(options);
  }
}
