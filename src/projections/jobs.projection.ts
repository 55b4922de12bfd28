import { Injectable } from '@nestjs/common';
import { Observable, Subject } from 'rxjs';
import type { JobContext } from '../../state-machines/job.machine';
import { isoTime } from '../common/time';
import { ActorHost } from '../actors/actor-host.service';
import { JOB } from '../actors/actor-kinds';
import { ExpiredFiles } from './expired-files.projection';

export type JobStatus = 'uploaded' | 'queued' | 'classified' | 'reported' | 'rejected' | 'failed';

/** A job as the API shows it. Times are ISO 8601. */
export interface JobView {
  id: string;
  fileName: string;
  status: JobStatus;
  topLabel?: string;
  topProbability?: number;
  attempts: number;
  workerId?: string;
  error?: string;
  uploadedAt: string;
  queuedAt?: string;
  classifiedAt?: string;
  reportedAt?: string;
  endedAt?: string;
  /** When the retention sweep deleted the job's input and output (RETENTION_DAYS after it ended). */
  filesDeletedAt?: string;
}

export interface JobPage {
  items: JobView[];
  total: number;
  offset: number;
  limit: number;
}

interface JobRow {
  status: JobStatus;
  context: JobContext;
}

/**
 * The jobs read model: one row per job, kept from every folded job event, newest upload last.
 * Rows keep the machine's context as is and become views only when read, which keeps a
 * replay of a long log cheap.
 */
@Injectable()
export class JobsProjection {
  private readonly jobs = new Map<string, JobRow>();
  private readonly counts: Record<JobStatus, number> = {
    uploaded: 0,
    queued: 0,
    classified: 0,
    reported: 0,
    rejected: 0,
    failed: 0,
  };
  private readonly updates = new Subject<JobView>();

  /** Each job's view the moment it changes, on the live path (replayed changes are not repeated). */
  readonly updates$: Observable<JobView> = this.updates.asObservable();

  constructor(
    host: ActorHost,
    private readonly expired: ExpiredFiles,
  ) {
    host.changes$.subscribe(({ actor, replayed }) => {
      if (actor.kind !== JOB) return;
      const row = {
        status: actor.snapshot.value as JobStatus,
        context: actor.snapshot.context as JobContext,
      };
      const before = this.jobs.get(actor.id);
      if (before) this.counts[before.status]--;
      this.counts[row.status]++;
      this.jobs.set(actor.id, row);
      if (!replayed) this.updates.next(this.toView(actor.id, row));
    });
  }

  get(id: string): JobView | undefined {
    const row = this.jobs.get(id);
    return row && this.toView(id, row);
  }

  /**
   * A page of jobs in upload order, optionally only those with `status`. Walks the jobs only as
   * far as the page's end, and takes the total from counts kept as jobs change.
   */
  list({ offset, limit, status }: { offset: number; limit: number; status?: JobStatus }): JobPage {
    const items: JobView[] = [];
    let matched = 0;
    for (const [id, row] of this.jobs) {
      if (status && row.status !== status) continue;
      if (matched++ < offset) continue;
      items.push(this.toView(id, row));
      if (items.length === limit) break;
    }
    return { items, total: status ? this.counts[status] : this.jobs.size, offset, limit };
  }

  /** The finished jobs with the time each ended, for the retention sweep. */
  *ended(): Iterable<{ id: string; endedAt: number }> {
    for (const [id, { context }] of this.jobs) {
      if (context.endedAt !== undefined) yield { id, endedAt: context.endedAt };
    }
  }

  private toView(id: string, row: JobRow): JobView {
    const filesDeletedAt = this.expired.of(id);
    const view = toView(id, row);
    return filesDeletedAt === undefined ? view : { ...view, filesDeletedAt: isoTime(filesDeletedAt) };
  }

  /** Number of jobs in each status. */
  countByStatus(): Record<JobStatus, number> {
    return { ...this.counts };
  }
}

function toView(id: string, { status, context }: JobRow): JobView {
  return {
    id,
    fileName: context.fileName,
    status,
    topLabel: context.label,
    topProbability: context.top5?.[0]?.probability,
    attempts: context.attempts,
    workerId: context.workerId,
    error: context.error,
    uploadedAt: isoTime(context.uploadedAt),
    queuedAt: isoTime(context.queuedAt),
    classifiedAt: isoTime(context.classifiedAt),
    reportedAt: isoTime(context.reportedAt),
    endedAt: isoTime(context.endedAt),
  };
}
