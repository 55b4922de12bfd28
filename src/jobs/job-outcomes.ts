import { Injectable } from '@nestjs/common';
import { filter, firstValueFrom, Subject, timeout } from 'rxjs';
import type { Prediction } from '../../state-machines/job.machine';

/** How a job ended, as its waiting clients learn it. */
export type JobOutcome =
  | { jobId: string; status: 'reported'; label: string; top5: Prediction[] }
  | { jobId: string; status: 'rejected' | 'failed'; reason: string };

/** The moment each job ends, for the requests waiting on it (the course client's `POST /`). */
@Injectable()
export class JobOutcomes {
  private readonly outcomes = new Subject<JobOutcome>();

  publish(outcome: JobOutcome): void {
    this.outcomes.next(outcome);
  }

  /**
   * Resolves with the outcome of `jobId` when it is published; rejects with rxjs' TimeoutError
   * after `timeoutMs`. Subscribe before the job can end, so that a fast result is not missed.
   */
  next(jobId: string, timeoutMs: number): Promise<JobOutcome> {
    return firstValueFrom(
      this.outcomes.pipe(
        filter((o) => o.jobId === jobId),
        timeout(timeoutMs),
      ),
    );
  }
}
