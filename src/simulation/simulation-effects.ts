import type {
  ControllerContext,
  LaunchWorkersParams,
  TerminateWorkersParams,
} from '../../state-machines/controller.machine';
import type {
  EnqueueJobParams,
  ReportFailureParams,
  ReportResultParams,
} from '../../state-machines/job.machine';
import type {
  LaunchWorkerParams,
  ReleaseJobsParams,
  StopWorkerParams,
} from '../../state-machines/worker.machine';
import { ActorHost } from '../actors/actor-host.service';
import { CONTROLLER_STREAM, JOB, WORKER } from '../actors/actor-kinds';
import { EffectHandler, EffectRegistry } from '../actors/effect-registry';
import { ScaleIn } from './contenders';
import { Random } from './random';
import { SimulatedCompute } from './simulated-compute';
import { SimulatedQueue } from './simulated-queue';

/** What the simulated features need, besides the host. */
export interface SimulationEffectsOptions {
  queue: SimulatedQueue;
  compute: SimulatedCompute;
  scaleIn: ScaleIn;
  /** Draws for a baseline's victim picker. */
  random: Random;
  /** Timeouts given to each worker machine at launch. */
  idleTimeoutMs: number;
  heartbeatTimeoutMs: number;
}

/** What the effects observed: reports per job and failures. */
export interface EffectRecord {
  reports: Map<string, number>;
  failures: ReportFailureParams[];
  errors: Error[];
}

/**
 * Performs the machines' effects the way `JobsService` and `FleetService` do, on the simulated
 * queue and compute instead of real ones. A baseline's scale-in bypasses the worker machines and
 * kills instances on the compute directly, as a real HPA or Auto Scaling group would.
 */
export function registerSimulationEffects(
  registry: EffectRegistry,
  host: ActorHost,
  options: SimulationEffectsOptions,
): EffectRecord {
  const { queue, compute, scaleIn } = options;
  const record: EffectRecord = { reports: new Map(), failures: [], errors: [] };
  let launchedCount = 0;
  const on = <P>(effect: string, handler: (params: P) => unknown) => {
    const guarded: EffectHandler = async (params) => {
      try {
        await handler(params as unknown as P);
      } catch (error) {
        record.errors.push(error as Error);
        throw error;
      }
    };
    registry.register(effect, guarded);
  };
  const controllerDone = (launched: string[], terminated: string[]) =>
    host.dispatch(CONTROLLER_STREAM, { type: 'ScalingActionCompleted', launched, terminated });

  on<EnqueueJobParams>('enqueueJob', async ({ jobId }) => {
    const messageId = queue.send(jobId);
    await host.dispatch(JOB.streamId(jobId), { type: 'JobQueued', messageId });
  });
  on<ReportResultParams>('reportResult', async ({ jobId }) => {
    record.reports.set(jobId, (record.reports.get(jobId) ?? 0) + 1);
    await host.dispatch(JOB.streamId(jobId), { type: 'JobReported' });
  });
  on<ReportFailureParams>('reportFailure', (params) => void record.failures.push(params));

  on<LaunchWorkersParams>('launchWorkers', async ({ count, reason }) => {
    const launched: string[] = [];
    for (let i = 0; i < count; i++) {
      const workerId = `w-${(++launchedCount).toString().padStart(5, '0')}`;
      await host.dispatch(WORKER.streamId(workerId), {
        type: 'WorkerLaunchRequested',
        workerId,
        reason,
        idleTimeoutMs: options.idleTimeoutMs,
        heartbeatTimeoutMs: options.heartbeatTimeoutMs,
      });
      launched.push(workerId);
    }
    await controllerDone(launched, []);
  });

  on<TerminateWorkersParams>('terminateWorkers', async ({ workerIds, reason }) => {
    const terminated: string[] = [];
    if (scaleIn.mode === 'drain') {
      for (const workerId of workerIds) {
        const result = await host.dispatch(WORKER.streamId(workerId), {
          type: 'WorkerTerminationRequested',
          reason,
        });
        if (result.accepted) terminated.push(workerId);
      }
    } else if (scaleIn.mode === 'kill') {
      const decision = (host.get(CONTROLLER_STREAM)!.snapshot.context as ControllerContext).lastDecision!;
      const candidates = compute
        .live()
        .map((i) => ({ workerId: i.workerId, launchedAt: i.launchedAt, booting: i.state === 'booting' }));
      for (const workerId of scaleIn.victims(
        candidates,
        decision.capacity - decision.desired,
        options.random,
      )) {
        compute.kill(workerId);
        terminated.push(workerId);
      }
    }
    await controllerDone([], terminated);
  });

  on<LaunchWorkerParams>('launchWorker', ({ workerId }) => void compute.launch(workerId));
  on<StopWorkerParams>('stopWorker', ({ workerId, force }) => compute.stop(workerId, force));
  // The simulated queue returns a killed instance's job itself, after the visibility timeout (the
  // simulated workers report no receipt handles), so there is nothing to release early here.
  on<ReleaseJobsParams>('releaseJobs', () => undefined);
  return record;
}
