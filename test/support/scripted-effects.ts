import { Injectable, Module, ModuleMetadata, Provider } from '@nestjs/common';
import { Test, TestingModule } from '@nestjs/testing';
import { ActorHost } from '../../src/actors/actor-host.service';
import {
  ACTOR_KINDS,
  CONTROLLER,
  CONTROLLER_STREAM,
  JOB,
  WEBHOOK,
  WORKER,
} from '../../src/actors/actor-kinds';
import { ActorsModule } from '../../src/actors/actors.module';
import { EffectContext } from '../../src/actors/effect-handlers';
import { AdaptersModule } from '../../src/adapters/adapters.module';
import { AppConfig } from '../../src/config/app-config';
import { ConfigModule } from '../../src/config/config.module';
import { EventsModule } from '../../src/events/events.module';
import { Clock } from '../../src/ports/clock.port';

/** Every effect the host executed, in order. */
export interface EffectCall {
  type: string;
  streamId: string;
  params: Record<string, unknown>;
}

export const EFFECT_LOG = Symbol('EffectLog');

/** A handler that records its call in `log`, then does `then`. */
function recorded<P extends object>(
  log: EffectCall[],
  type: string,
  then?: (params: P, context: EffectContext) => Promise<unknown>,
) {
  return async (params: P, context: EffectContext) => {
    log.push({ type, streamId: context.streamId, params: { ...params } as Record<string, unknown> });
    await then?.(params, context);
  };
}

/**
 * Hands the host effect handlers that record each call and answer the way the real features
 * do: an enqueued job is acknowledged, a reported result is marked reported, a launch creates
 * workers, a stop is recorded as the worker having stopped.
 */
export function handleScriptedEffects(host: ActorHost, log: EffectCall[]): void {
  let launched = 0;
  host.handle(JOB, {
    enqueueJob: recorded(log, 'enqueueJob', ({ jobId }, { host }) =>
      host.dispatch(JOB.streamId(jobId), { type: 'JobQueued', messageId: `m-${jobId}` }),
    ),
    reportResult: recorded(log, 'reportResult', ({ jobId }, { host }) =>
      host.dispatch(JOB.streamId(jobId), { type: 'JobReported' }),
    ),
    reportFailure: recorded(log, 'reportFailure'),
  });
  host.handle(CONTROLLER, {
    launchWorkers: recorded(log, 'launchWorkers', async ({ count, reason }, { host }) => {
      const workers: string[] = [];
      for (let i = 0; i < count; i++) {
        const workerId = `w${++launched}`;
        await host.dispatch(WORKER.streamId(workerId), {
          type: 'WorkerLaunchRequested',
          workerId,
          reason,
          heartbeatTimeoutMs: 600_000,
          idleTimeoutMs: 5_000,
        });
        workers.push(workerId);
      }
      await host.dispatch(CONTROLLER_STREAM, {
        type: 'ScalingActionCompleted',
        launched: workers,
        terminated: [],
      });
    }),
    terminateWorkers: recorded(log, 'terminateWorkers', async ({ workerIds }, { host }) => {
      for (const id of workerIds) {
        await host.dispatch(WORKER.streamId(id), { type: 'WorkerTerminationRequested', reason: 'scale in' });
      }
      await host.dispatch(CONTROLLER_STREAM, {
        type: 'ScalingActionCompleted',
        launched: [],
        terminated: workerIds,
      });
    }),
  });
  host.handle(WORKER, {
    launchWorker: recorded(log, 'launchWorker'),
    releaseJobs: recorded(log, 'releaseJobs'),
    stopWorker: recorded(log, 'stopWorker', ({ workerId }, { host }) =>
      host.dispatch(WORKER.streamId(workerId), { type: 'WorkerStopped', exitCode: 0, signal: null }),
    ),
  });
  host.handle(WEBHOOK, {
    deliverWebhook: recorded(log, 'deliverWebhook', ({ jobId, attempt }, { host }) =>
      host.dispatch(WEBHOOK.streamId(jobId), { type: 'WebhookDelivered', attempt, httpStatus: 204 }),
    ),
  });
}

@Injectable()
class ScriptedEffects {
  constructor(host: ActorHost, log: EffectCall[]) {
    handleScriptedEffects(host, log);
  }
}

/** A module that hands the host {@link handleScriptedEffects}, recording into `log`. */
export function scriptedEffectsModule(log: EffectCall[]) {
  @Module({
    imports: [ActorsModule],
    providers: [
      { provide: EFFECT_LOG, useValue: log },
      {
        provide: ScriptedEffects,
        inject: [ActorHost, EFFECT_LOG],
        useFactory: (host: ActorHost, calls: EffectCall[]) => new ScriptedEffects(host, calls),
      },
    ],
  })
  class ScriptedEffectsModule {}
  return ScriptedEffectsModule;
}

/**
 * For every kind whose effects have no handlers yet, handlers that only record their calls in
 * `log`: for tests of one feature, whose host must still go live.
 */
export function recordUnhandledEffects(host: ActorHost, log: EffectCall[]): void {
  for (const kind of ACTOR_KINDS) {
    if (host.handles(kind)) continue;
    const handlers = Object.fromEntries(Object.keys(kind.effects).map((type) => [type, recorded(log, type)]));
    host.handle(kind, handlers);
  }
}

/** What {@link bootWithScriptedEffects} boots beside the log, the host and the adapters. */
export interface ScriptedBoot {
  config: AppConfig;
  /** Replaces the adapters' clock (a manual one, say). */
  clock?: Clock;
  /** Modules of the features under test. */
  imports?: NonNullable<ModuleMetadata['imports']>;
  providers?: Provider[];
  /** Where the scripted effects record their calls. */
  effects?: EffectCall[];
}

/**
 * The log, the host and the adapters of `config` with the scripted effects, and the features
 * under test over them; initialised (the host live), logging nothing.
 */
export async function bootWithScriptedEffects({
  config,
  clock,
  imports = [],
  providers = [],
  effects = [],
}: ScriptedBoot): Promise<TestingModule> {
  let builder = Test.createTestingModule({
    imports: [
      ConfigModule.forRoot(config),
      EventsModule,
      AdaptersModule.forRoot(config),
      ActorsModule,
      ...imports,
      scriptedEffectsModule(effects),
    ],
    providers,
  });
  if (clock) builder = builder.overrideProvider(Clock).useValue(clock);
  const moduleRef = await builder.compile();
  moduleRef.useLogger(false);
  return moduleRef.init();
}
