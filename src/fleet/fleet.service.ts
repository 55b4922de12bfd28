import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { Subscription } from 'rxjs';
import { ActorHost } from '../actors/actor-host.service';
import { CONTROLLER, WORKER } from '../actors/actor-kinds';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { awsWorkerEnv } from '../config/aws-config';
import { REQUEST_QUEUE } from '../pipeline/queue-tokens';
import { Compute } from '../ports/compute.port';
import { Leadership } from '../ports/leadership.port';
import { Queue } from '../ports/queue.port';
import { bootTimeoutMs, controllerEffects, workerEffects } from './fleet-effects';
import { FleetInstances } from './fleet-instances';

const ENDED = ['terminated', 'lost'];

/** Grace a draining worker gets to finish its batch before it is killed. */
export const WORKER_STOP_GRACE_MS = 60_000;

/**
 * The fleet on the compute provider: hands the host the worker and controller effects
 * ({@link workerEffects}, {@link controllerEffects}), turns instance exits into worker events, and
 * reconciles the log with the provider on boot.
 */
@Injectable()
export class FleetService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(FleetService.name);
  private exits?: Subscription;

  constructor(
    private readonly host: ActorHost,
    private readonly instances: FleetInstances,
    private readonly compute: Compute,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(REQUEST_QUEUE) requests: Queue,
    private readonly leadership: Leadership,
  ) {
    host.handle(
      WORKER,
      workerEffects({
        compute,
        requests,
        instances: this.instances,
        workerEnv: () => this.workerEnv(),
        stopGraceMs: WORKER_STOP_GRACE_MS,
      }),
    );
    host.handle(
      CONTROLLER,
      controllerEffects({
        workerTimeouts: {
          idleTimeoutMs: config.workerIdleTimeoutMs,
          heartbeatTimeoutMs: config.workerHeartbeatTimeoutMs,
          bootTimeoutMs: bootTimeoutMs(config.scaling.expectedBootMs),
        },
      }),
    );
  }

  /**
   * Once this control plane leads (at boot, or when it takes the lead over), reconciles the log
   * with the provider, after the log is replayed and before the host goes live (so that the effects it then resumes see the fleet as it is): the instances
   * the provider lists are adopted by the workers the log knows them as; workers the log believes
   * alive whose instance it does not list are lost (and replaced by the controller); instances of
   * this fleet that no worker in the log claims are reported and left alone, since the log records
   * every launch before it happens.
   */
  async onModuleInit(): Promise<void> {
    await this.leadership.whenLeading(() => this.reconcile());
  }

  onModuleDestroy(): void {
    this.exits?.unsubscribe();
  }

  private async reconcile(): Promise<void> {
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
      BATCH_WAIT_MS: String(this.config.batchWaitMs),
      VISIBILITY_TIMEOUT_MS: String(visibilityTimeoutMs),
      BATCH_DEADLINE_MS: String(this.config.batchDeadlineMs),
      MAX_IMAGE_PIXELS: String(this.config.maxImagePixels),
      ...(this.config.aws ? awsWorkerEnv(this.config.aws) : {}),
    };
  }
}
