import { Injectable, Module } from '@nestjs/common';
import { ActorHost, hostedEffects } from '../../src/actors/actor-host.service';
import { CONTROLLER, JOB, WORKER } from '../../src/actors/actor-kinds';
import { ActorsModule } from '../../src/actors/actors.module';
import { EffectRegistry } from '../../src/actors/effect-registry';

/** Every effect the host executed, in order. */
export interface EffectCall {
  type: string;
  streamId: string;
  params: Record<string, unknown>;
}

export const EFFECT_LOG = Symbol('EffectLog');

/**
 * Effect handlers that record each call and answer the way the real features will: an
 * enqueued job is acknowledged, a reported result is marked reported, a launch creates workers.
 */
@Injectable()
class ScriptedEffects {
  private launched = 0;

  constructor(registry: EffectRegistry, host: ActorHost, log: EffectCall[]) {
    const on = (type: string, then?: (params: Record<string, unknown>) => Promise<unknown>) =>
      registry.register(type, async (params, { streamId }) => {
        log.push({ type, streamId, params });
        await then?.(params);
      });
    on('enqueueJob', ({ jobId }) =>
      host.dispatch(JOB.streamId(jobId as string), { type: 'JobQueued', messageId: `m-${jobId}` }),
    );
    on('reportResult', ({ jobId }) => host.dispatch(JOB.streamId(jobId as string), { type: 'JobReported' }));
    on('reportFailure');
    on('launchWorkers', async ({ count, reason }) => {
      const launched: string[] = [];
      for (let i = 0; i < (count as number); i++) {
        const workerId = `w${++this.launched}`;
        await host.dispatch(WORKER.streamId(workerId), {
          type: 'WorkerLaunchRequested',
          workerId,
          reason,
          heartbeatTimeoutMs: 600_000,
          idleTimeoutMs: 5_000,
        });
        launched.push(workerId);
      }
      await host.dispatch(CONTROLLER.streamId(''), {
        type: 'ScalingActionCompleted',
        launched,
        terminated: [],
      });
    });
    on('terminateWorkers', async ({ workerIds }) => {
      for (const id of workerIds as string[]) {
        await host.dispatch(WORKER.streamId(id), { type: 'WorkerTerminationRequested', reason: 'scale in' });
      }
      await host.dispatch(CONTROLLER.streamId(''), {
        type: 'ScalingActionCompleted',
        launched: [],
        terminated: workerIds,
      });
    });
    on('launchWorker');
    on('releaseJobs');
    on('stopWorker', ({ workerId }) =>
      host.dispatch(WORKER.streamId(workerId as string), {
        type: 'WorkerStopped',
        exitCode: 0,
        signal: null,
      }),
    );
  }
}

/** A module that registers {@link ScriptedEffects}, recording into `log`. */
export function scriptedEffectsModule(log: EffectCall[]) {
  @Module({
    imports: [ActorsModule],
    providers: [
      { provide: EFFECT_LOG, useValue: log },
      {
        provide: ScriptedEffects,
        inject: [EffectRegistry, ActorHost, EFFECT_LOG],
        useFactory: (registry: EffectRegistry, host: ActorHost, calls: EffectCall[]) =>
          new ScriptedEffects(registry, host, calls),
      },
    ],
  })
  class ScriptedEffectsModule {}
  return ScriptedEffectsModule;
}

/**
 * Registers, for every effect of the hosted machines that has no handler yet, one that only
 * records its call in `log`: for tests of one feature, whose host must still go live.
 */
export function recordUnhandledEffects(registry: EffectRegistry, log: EffectCall[]): void {
  for (const type of registry.missing(hostedEffects())) {
    registry.register(type, (params, { streamId }) => void log.push({ type, streamId, params }));
  }
}
