import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import type { ControllerContext } from '../../state-machines/controller.machine';
import {
  decideScaling,
  ScalingDecision,
  ScalingInputs,
  ScalingSettings,
} from '../../state-machines/scaling-policy';
import type { WorkerContext } from '../../state-machines/worker.machine';
import { ActorHost } from '../actors/actor-host.service';
import { CONTROLLER, WORKER } from '../actors/actor-kinds';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { REQUEST_QUEUE } from '../pipeline/queue-tokens';
import { Clock, TimerHandle } from '../ports/clock.port';
import { Queue } from '../ports/queue.port';

const STREAM = CONTROLLER.streamId('');
/** After a scaling action, no scale-in for this long. */
export const COOLDOWN_MS = 10_000;

/**
 * The autoscaler's loop. Every period it gathers the backlog and the fleet, asks the pure policy
 * for a decision and offers it to the controller machine as a `ScalingDecided` event. Holds are
 * recorded only when they differ from the last decision, so a quiet service does not fill the log.
 */
@Injectable()
export class ControllerService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(ControllerService.name);
  private timer?: TimerHandle;
  private stopped = false;
  private ticking?: Promise<void>;

  constructor(
    private readonly host: ActorHost,
    private readonly clock: Clock,
    @Inject(REQUEST_QUEUE) private readonly requests: Queue,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  get settings(): ScalingSettings {
    const { minWorkers, maxWorkers, targetBacklogPerWorker } = this.config;
    return { minWorkers, maxWorkers, targetBacklogPerWorker };
  }

  async onApplicationBootstrap(): Promise<void> {
    const controller = this.host.get(STREAM);
    if (!controller) {
      await this.host.dispatch(STREAM, {
        type: 'ControllerStarted',
        settings: this.settings,
        cooldownMs: COOLDOWN_MS,
      });
    } else {
      const context = controller.snapshot.context as ControllerContext;
      if (
        JSON.stringify(context.settings) !== JSON.stringify(this.settings) ||
        context.cooldownMs !== COOLDOWN_MS
      ) {
        await this.host.dispatch(STREAM, {
          type: 'ControllerConfigured',
          settings: this.settings,
          cooldownMs: COOLDOWN_MS,
        });
      }
    }
    await this.tick();
    this.schedule();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    await this.ticking;
  }

  /** One look at the backlog and the fleet, and the decision it leads to (if any is recorded). */
  async tick(): Promise<ScalingDecision | undefined> {
    const controller = this.host.get(STREAM);
    if (!controller || ['scalingOut', 'scalingIn'].includes(controller.snapshot.value as string))
      return undefined;
    const decision = decideScaling(await this.observe(), this.settings);
    const last = (controller.snapshot.context as ControllerContext).lastDecision;
    if (
      decision.action === 'hold' &&
      last?.action === 'hold' &&
      last.desired === decision.desired &&
      last.capacity === decision.capacity
    ) {
      return undefined;
    }
    const result = await this.host.dispatch(STREAM, { type: 'ScalingDecided', decision });
    if (result.accepted && decision.action !== 'hold')
      this.logger.log(JSON.stringify({ msg: 'scaling', ...pick(decision) }));
    return result.accepted ? decision : undefined;
  }

  private async observe(): Promise<ScalingInputs> {
    const counts = await this.requests.approximateCounts();
    const workers = { pending: 0, running: 0, idle: 0, terminating: 0 };
    const idle: Array<{ id: string; since: number }> = [];
    for (const worker of this.host.list(WORKER)) {
      const state = worker.snapshot.value as string;
      if (state in workers) workers[state as keyof typeof workers]++;
      if (state === 'idle')
        idle.push({ id: worker.id, since: (worker.snapshot.context as WorkerContext).lastSeenAt });
    }
    idle.sort((a, b) => a.since - b.since);
    return {
      visible: counts.visible + counts.delayed,
      inFlight: counts.inFlight,
      workers,
      idleWorkerIds: idle.map((w) => w.id),
    };
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = this.clock.setTimer(this.config.scalingPeriodMs, () => {
      this.ticking = this.tick()
        .catch((error) => this.logger.error(`Scaling tick failed: ${(error as Error).message}`))
        .then(() => undefined)
        .finally(() => this.schedule());
    });
  }
}

const pick = ({ action, desired, capacity, launch, terminate, reason }: ScalingDecision) => ({
  action,
  desired,
  capacity,
  launch,
  terminate,
  reason,
});
