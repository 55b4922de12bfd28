import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { filter, firstValueFrom, Subject, Subscription, timeout } from 'rxjs';
import type { JobContext, Prediction } from '../../state-machines/job.machine';
import { Actor, ActorHost } from '../actors/actor-host.service';
import { JOB } from '../actors/actor-kinds';

/** How a job ended, as its waiting clients learn it. */
export type JobOutcome =
  | { jobId: string; status: 'reported'; label: string; top5: Prediction[] }
  | { jobId: string; status: 'rejected' | 'failed'; reason: string };

/**
 * The outcome a job's change made known, if it did: its label once classified (each job enters
 * `classified` once, before `reported`), or why it was rejected or failed (final states, entered
 * once). Undefined for any other change.
 */
export function outcomeOfChange(actor: Actor): JobOutcome | undefined {
  if (actor.kind !== JOB) return undefined;
  const context = actor.snapshot.context as JobContext;
  const status = actor.snapshot.value as string;
  if (status === 'classified') {
    return { jobId: context.jobId, status: 'reported', label: context.label!, top5: context.top5! };
  }
  if (status === 'rejected' || status === 'failed') {
    return { jobId: context.jobId, status, reason: context.error ?? status };
  }
  return undefined;
}

/**
 * The moment each job ends, for the requests waiting on it (the course client's `POST /`): read
 * from the host's live changes, so that a control plane learns the outcomes of jobs whatever
 * control plane appended them.
 */
@Injectable()
export class JobOutcomes implements OnModuleDestroy {
  private readonly outcomes = new Subject<JobOutcome>();
  private readonly following: Subscription;

  constructor(host: ActorHost) {
    this.following = host.changes$.pipe(filter((change) => !change.replayed)).subscribe(({ actor }) => {
      const outcome = outcomeOfChange(actor);
      if (outcome) this.outcomes.next(outcome);
    });
  }

  onModuleDestroy(): void {
    this.following.unsubscribe();
  }

  /**
   * Resolves with the outcome of `jobId` when it is known; rejects with rxjs' TimeoutError after
   * `timeoutMs`. Subscribe before the job can end, so that a fast result is not missed.
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
