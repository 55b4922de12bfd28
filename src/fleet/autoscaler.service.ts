import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { decideScaling, ScalingDecision, ScalingSettings } from '../../state-machines/scaling-policy';
import { ActorHost } from '../actors/actor-host.service';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { REQUEST_QUEUE } from '../pipeline/queue-tokens';
import { Clock, TimerHandle } from '../ports/clock.port';
import { Leadership } from '../ports/leadership.port';
import { Queue } from '../ports/queue.port';
import { ScalingLoop } from './scaling-loop';

/** The service's autoscaler: a {@link ScalingLoop} on the request queue, ticking every `SCALING_PERIOD_MS`. */
@Injectable()
export class AutoscalerService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(AutoscalerService.name);
  readonly loop: ScalingLoop;
  private timer?: TimerHandle;
  private stopped = false;
  private ticking?: Promise<unknown>;

  constructor(
    host: ActorHost,
    private readonly clock: Clock,
    @Inject(REQUEST_QUEUE) requests: Queue,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly leadership: Leadership,
  ) {
    this.loop = new ScalingLoop(
      host,
      clock,
      async () => {
        const counts = await requests.approximateCounts();
        return { visible: counts.visible + counts.delayed, inFlight: counts.inFlight };
      },
      decideScaling,
      scalingSettings(config),
    );
  }

  /** Scaling is the leader's: it starts once this control plane leads. */
  onApplicationBootstrap(): Promise<void> {
    return this.leadership.whenLeading(() => this.start());
  }

  private async start(): Promise<void> {
    if (this.stopped) return;
    await this.loop.configure(this.config.scaling.cooldownMs);
    await this.tick();
    this.schedule();
    this.loop.lookWanted$.subscribe(() => {
      if (!this.stopped) this.ticking = this.tickLogged();
    });
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    await this.ticking;
  }

  async tick(): Promise<ScalingDecision | undefined> {
    const decision = await this.loop.tick();
    if (decision && decision.action !== 'hold') {
      const { action, desired, capacity, launch, terminate, reason } = decision;
      this.logger.log({ msg: 'scaling', action, desired, capacity, launch, terminate, reason });
    }
    return decision;
  }

  /** A tick whose failure is logged, not thrown: the next one tries again. */
  private tickLogged(): Promise<unknown> {
    return this.tick().catch((error) =>
      this.logger.error(`Scaling tick failed: ${(error as Error).message}`),
    );
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = this.clock.setTimer(this.config.scalingPeriodMs, () => {
      this.ticking = this.tickLogged().finally(() => this.schedule());
    });
  }
}

/** The policy's settings from the configuration. */
export function scalingSettings(config: AppConfig): ScalingSettings {
  const { minWorkers, maxWorkers } = config;
  const {
    acceptableLatencyMs,
    expectedBootMs,
    defaultServiceTimeMs,
    scaleInStabilisationMs,
    maxScaleInPerStep,
  } = config.scaling;
  return {
    minWorkers,
    maxWorkers,
    acceptableLatencyMs,
    expectedBootMs,
    defaultServiceTimeMs,
    scaleInStabilisationMs,
    maxScaleInPerStep,
  };
}
