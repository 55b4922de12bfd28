import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { errorMessage } from '../common/errors';
import { APP_CONFIG, AppConfig, DEFAULT_CHECKPOINT_PUBLISH_MS } from '../config/app-config';
import { Clock, TimerHandle } from '../ports/clock.port';
import { Leadership } from '../ports/leadership.port';
import { PublishedCheckpoint } from '../ports/published-checkpoints.port';
import { Checkpoint } from './checkpoint';

/**
 * The leader's publication of its checkpoint on a shared log: every CHECKPOINT_PUBLISH_MS, when
 * its checkpoint has moved past the one published last, it publishes it (see
 * {@link Checkpoint.publish}), so that a control plane started on a new host folds only what the
 * log gained since, not the whole log. Does nothing where checkpoints are not published (SQLite).
 */
@Injectable()
export class CheckpointPublisher implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(CheckpointPublisher.name);
  private readonly everyMs: number;
  private timer?: TimerHandle;
  private running?: Promise<PublishedCheckpoint | undefined>;
  private publishedPosition?: number;
  private stopped = false;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly clock: Clock,
    private readonly checkpoint: Checkpoint,
    private readonly leadership: Leadership,
  ) {
    const { eventStore } = config;
    this.everyMs =
      eventStore.kind === 'postgres' ? (eventStore.checkpointPublishMs ?? DEFAULT_CHECKPOINT_PUBLISH_MS) : 0;
  }

  /** The leader publishes: from the moment this control plane leads. */
  onApplicationBootstrap(): Promise<void> {
    if (!this.checkpoint.published || this.everyMs === 0) return Promise.resolve();
    return this.leadership.whenLeading(() => {
      if (!this.stopped) this.schedule();
    });
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    await this.idle();
  }

  /** Resolves once no publication is under way (one its timer started, say); starts none. */
  async idle(): Promise<void> {
    await this.running?.catch(() => undefined);
  }

  /**
   * Publishes the checkpoint now if it is further along the log than the one published last (or
   * waits for a publication under way).
   * @returns what it published; undefined when nothing was due.
   */
  publishIfAhead(): Promise<PublishedCheckpoint | undefined> {
    this.running ??= this.publish().finally(() => (this.running = undefined));
    return this.running;
  }

  private schedule(): void {
    this.timer = this.clock.setTimer(this.everyMs, () => {
      if (this.stopped) return;
      this.schedule();
      this.publishIfAhead().catch((error: unknown) =>
        this.logger.warn({ msg: 'publishing the checkpoint failed', reason: errorMessage(error) }),
      );
    });
  }

  private async publish(): Promise<PublishedCheckpoint | undefined> {
    this.publishedPosition ??= (await this.checkpoint.published?.latest())?.position ?? 0;
    if (this.checkpoint.position <= this.publishedPosition) return undefined;
    const began = performance.now();
    const published = await this.checkpoint.publish(this.clock.now());
    if (!published) return undefined;
    this.publishedPosition = published.position;
    this.logger.log({
      msg: 'published the checkpoint',
      position: published.position,
      bytes: published.sizeBytes,
      ms: Math.round(performance.now() - began),
    });
    return published;
  }
}
