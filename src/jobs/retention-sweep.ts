import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { errorMessage } from '../common/errors';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { objectKeys } from '../pipeline/messages';
import { Clock, TimerHandle } from '../ports/clock.port';
import { EventStore } from '../ports/event-store.port';
import { Leadership } from '../ports/leadership.port';
import { ObjectStore } from '../ports/object-store.port';
import { ExpiredFiles, JobFilesDeleted, RETENTION_STREAM } from '../projections/expired-files.projection';
import { JobsProjection } from '../projections/jobs.projection';

const DAY_MS = 24 * 60 * 60 * 1000;
/** Jobs named by one `JobFilesDeleted` event, so that no event grows without bound. */
const JOBS_PER_EVENT = 1000;

/**
 * Deletes the inputs and outputs of jobs that ended more than RETENTION_DAYS ago, every
 * RETENTION_SWEEP_MS, and records each batch as a `JobFilesDeleted` event in the `retention`
 * stream. The jobs' records, labels and history stay. Files are deleted before the event is
 * appended: a crash in between leaves them to the next sweep, which deletes nothing twice that
 * matters (deleting a missing object succeeds) and records them then.
 */
@Injectable()
export class RetentionSweep implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(RetentionSweep.name);
  private timer?: TimerHandle;
  private running?: Promise<void>;
  private stopped = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly store: EventStore,
    private readonly objects: ObjectStore,
    private readonly jobs: JobsProjection,
    private readonly expired: ExpiredFiles,
    private readonly leadership: Leadership,
  ) {}

  /** The leader sweeps: from the moment this control plane leads. */
  onApplicationBootstrap(): Promise<void> {
    return this.leadership.whenLeading(() => {
      if (this.config.retention.days > 0 && !this.stopped) this.schedule();
    });
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    await this.running;
  }

  /** Resolves once no sweep is running (one its timer started, say); starts none. */
  async idle(): Promise<void> {
    await this.running;
  }

  /** Sweeps every RETENTION_SWEEP_MS; a sweep still running when the next is due is not doubled. */
  private schedule(): void {
    this.timer = this.clock.setTimer(this.config.retention.sweepMs, () => {
      if (this.stopped) return;
      this.schedule();
      this.running ??= this.sweep()
        .catch((error: unknown) =>
          this.logger.warn({ msg: 'retention sweep failed', reason: errorMessage(error) }),
        )
        .finally(() => (this.running = undefined));
    });
  }

  /** Deletes the files now due and records them, a batch at a time. */
  private async sweep(): Promise<void> {
    const endedBefore = this.clock.now() - this.config.retention.days * DAY_MS;
    let deleted = 0;
    while (!this.stopped) {
      const jobIds = this.jobs.withFilesEndedBefore(endedBefore, JOBS_PER_EVENT);
      if (jobIds.length === 0) break;
      for (const jobId of jobIds) {
        await this.objects.delete(objectKeys.input(jobId));
        await this.objects.delete(objectKeys.output(jobId));
      }
      const event = {
        type: 'JobFilesDeleted',
        data: { jobIds, endedBefore, at: this.clock.now() } satisfies JobFilesDeleted,
      };
      const { events } = await this.store.append(RETENTION_STREAM, [event], 'any');
      this.expired.apply(events[0]);
      deleted += jobIds.length;
    }
    if (deleted > 0) {
      this.logger.log({
        msg: 'deleted the files of jobs past retention',
        jobs: deleted,
        days: this.config.retention.days,
      });
    }
  }
}
