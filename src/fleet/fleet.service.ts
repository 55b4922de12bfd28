import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Subscription } from 'rxjs';
import type { LaunchWorkersParams, TerminateWorkersParams } from '../../state-machines/controller.machine';
import type {
  LaunchWorkerParams,
  ReleaseJobsParams,
  StopWorkerParams,
} from '../../state-machines/worker.machine';
import { ActorHost } from '../actors/actor-host.service';
import { CONTROLLER_STREAM, WORKER } from '../actors/actor-kinds';
import { EffectRegistry } from '../actors/effect-registry';
import { InstanceNotFoundError } from '../compute/compute.errors';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { awsWorkerEnv } from '../config/aws-config';
import { REQUEST_QUEUE } from '../pipeline/queue-tokens';
import { Compute } from '../ports/compute.port';
import { Queue } from '../ports/queue.port';

const ENDED = ['terminated', 'lost'];

/** Grace a draining worker gets to finish its batch before it is killed. */
export const WORKER_STOP_GRACE_MS = 60_000;

/**
 * Performs the fleet's effects on the compute provider — launching and stopping instances as
 * the worker and controller machines ask — and turns instance exits into worker events.
 */
@Injectable()
export class FleetService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(FleetService.name);
  private readonly instances = new Map<string, string>();
  private exits?: Subscription;

  constructor(
    private readonly host: ActorHost,
    private readonly compute: Compute,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(REQUEST_QUEUE) private readonly requests: Queue,
    effects: EffectRegistry,
  ) {
    effects.register('launchWorkers', (p) => this.launchWorkers(p as unknown as LaunchWorkersParams));
    effects.register('terminateWorkers', (p) =>
      this.terminateWorkers(p as unknown as TerminateWorkersParams),
    );
    effects.register('launchWorker', (p) => this.launchWorker(p as unknown as LaunchWorkerParams));
    effects.register('stopWorker', (p) => this.stopWorker(p as unknown as StopWorkerParams));
    effects.register('releaseJobs', (p) => this.releaseJobs(p as unknown as ReleaseJobsParams));
  }

  /**
   * Reconciles the log with the provider after a (re)start: the instances it lists are adopted by
   * the workers the log knows them as; workers the log believes alive whose instance it does not
   * list are lost (and replaced by the controller); instances of this fleet that no worker in the
   * log claims are reported and left alone, since the log records every launch before it happens.
   */
  async onApplicationBootstrap(): Promise<void> {
    this.exits = this.compute.events$.subscribe((exit) =>
      this.host
        .dispatch(WORKER.streamId(exit.workerId), {
          type: 'WorkerStopped',
          exitCode: exit.code,
          signal: exit.signal,
        })
        .catch((error) =>
          this.logger.error(`Exit of ${exit.workerId} not recorded: ${(error as Error).message}`),
        ),
    );
    const listed = await this.compute.list();
    const inLog = new Set(this.host.list(WORKER).map((worker) => worker.id));
    for (const { workerId, instanceId } of listed) {
      if (inLog.has(workerId)) this.instances.set(workerId, instanceId);
    }
    const strangers = listed.filter((instance) => !inLog.has(instance.workerId));
    if (strangers.length > 0) {
      this.logger.warn({
        msg: 'instances of this fleet that no worker in the log claims; left running',
        strangers,
      });
    }
    for (const worker of this.host.list(WORKER)) {
      if (ENDED.includes(worker.snapshot.value as string) || this.instances.has(worker.id)) continue;
      await this.host.dispatch(worker.streamId, { type: 'WorkerStopped', exitCode: null, signal: null });
    }
  }

  onModuleDestroy(): void {
    this.exits?.unsubscribe();
  }

  private async launchWorkers({ count, reason }: LaunchWorkersParams): Promise<void> {
    const launched: string[] = [];
    for (let i = 0; i < count; i++) {
      const workerId = `w-${randomUUID().slice(0, 8)}`;
      await this.host.dispatch(WORKER.streamId(workerId), {
        type: 'WorkerLaunchRequested',
        workerId,
        reason,
        idleTimeoutMs: this.config.workerIdleTimeoutMs,
        heartbeatTimeoutMs: this.config.workerHeartbeatTimeoutMs,
      });
      launched.push(workerId);
    }
    await this.host.dispatch(CONTROLLER_STREAM, {
      type: 'ScalingActionCompleted',
      launched,
      terminated: [],
    });
  }

  private async terminateWorkers({ workerIds, reason }: TerminateWorkersParams): Promise<void> {
    const terminated: string[] = [];
    for (const workerId of workerIds) {
      const result = await this.host.dispatch(WORKER.streamId(workerId), {
        type: 'WorkerTerminationRequested',
        reason,
      });
      if (result.accepted) terminated.push(workerId);
    }
    await this.host.dispatch(CONTROLLER_STREAM, {
      type: 'ScalingActionCompleted',
      launched: [],
      terminated,
    });
  }

  private async launchWorker({ workerId }: LaunchWorkerParams): Promise<void> {
    try {
      const { instanceId } = await this.compute.launch({ workerId, env: this.workerEnv() });
      this.instances.set(workerId, instanceId);
      this.logger.log({ msg: 'worker launched', workerId, instanceId });
    } catch (error) {
      this.logger.error(`Launch of ${workerId} failed: ${(error as Error).message}`);
      await this.host.dispatch(WORKER.streamId(workerId), {
        type: 'WorkerStopped',
        exitCode: null,
        signal: null,
      });
    }
  }

  private async stopWorker({ workerId, instanceId, force }: StopWorkerParams): Promise<void> {
    const instance = instanceId ?? this.instances.get(workerId);
    try {
      if (!instance) throw new InstanceNotFoundError(`No instance for ${workerId}`);
      await this.compute.terminate(instance, { graceMs: force ? 0 : WORKER_STOP_GRACE_MS });
    } catch (error) {
      if (!(error instanceof InstanceNotFoundError)) throw error;
      // Nothing runs: the worker is already gone.
      await this.host.dispatch(WORKER.streamId(workerId), {
        type: 'WorkerStopped',
        exitCode: null,
        signal: null,
      });
    }
  }

  /**
   * Makes the request messages a lost worker held visible again now, rather than when their
   * visibility lapses. A handle that no longer holds its message (the job was finished, or the
   * message redelivered already) is passed over.
   */
  private async releaseJobs({ workerId, receiptHandles }: ReleaseJobsParams): Promise<void> {
    const outcomes = await Promise.allSettled(
      receiptHandles.map((handle) => this.requests.changeVisibility(handle, 0)),
    );
    const released = outcomes.filter((o) => o.status === 'fulfilled').length;
    if (receiptHandles.length > 0)
      this.logger.log({
        msg: 'released the jobs of a lost worker',
        workerId,
        released,
        held: receiptHandles.length,
      });
  }

  /** The environment a worker needs to find the queues, the objects and the model (on EC2: all it gets). */
  private workerEnv(): Record<string, string> {
    const { dataDir, model, modelMirror, maxAttempts, workerThreads, workerBatchSize, visibilityTimeoutMs } =
      this.config;
    // Paths of this machine mean nothing on an instance, which has the model in its image.
    const sameMachine = this.config.compute === 'local';
    return {
      ...(sameMachine ? { DATA_DIR: dataDir } : {}),
      MODEL: model,
      ...(sameMachine && modelMirror ? { MODEL_MIRROR: modelMirror } : {}),
      MAX_ATTEMPTS: String(maxAttempts),
      WORKER_THREADS: String(workerThreads),
      WORKER_BATCH_SIZE: String(workerBatchSize),
      VISIBILITY_TIMEOUT_MS: String(visibilityTimeoutMs),
      ...(this.config.aws ? awsWorkerEnv(this.config.aws) : {}),
    };
  }
}
