import type { ControllerContext } from '../../state-machines/controller.machine';
import type { ReportFailureParams } from '../../state-machines/job.machine';
import { ActorHost } from '../actors/actor-host.service';
import { CONTROLLER, CONTROLLER_STREAM, JOB, WEBHOOK, WORKER } from '../actors/actor-kinds';
import { EffectHandlers } from '../actors/effect-handlers';
import { controllerEffects, WorkerTimeouts, workerEffects } from '../fleet/fleet-effects';
import { jobEffects } from '../jobs/job-effects';
import { outcomeOfChange } from '../jobs/job-outcomes';
import { JobRequest } from '../pipeline/messages';
import { webhookEffects } from '../webhooks/webhook-effects';
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
  workerTimeouts: WorkerTimeouts;
}

/** What the run made known: reports per job (a job entering `classified`) and failures. */
export interface EffectRecord {
  reports: Map<string, number>;
  failures: ReportFailureParams[];
  errors: Error[];
}

/** Any error an effect throws is a bug of the simulation: it is recorded, and the run fails. */
function recordingErrors<T extends Record<string, (...args: never[]) => unknown>>(
  handlers: T,
  errors: Error[],
): T {
  const wrapped: Record<string, (...args: never[]) => unknown> = {};
  for (const [type, handler] of Object.entries(handlers)) {
    wrapped[type] = async (...args) => {
      try {
        return await handler(...args);
      } catch (error) {
        errors.push(error as Error);
        throw error;
      }
    };
  }
  return wrapped as T;
}

/**
 * Hands the host the service's own effect factories ({@link jobEffects}, {@link workerEffects},
 * {@link controllerEffects}) over the simulated queue and compute. A baseline's scale-in bypasses
 * the worker machines and kills instances on the compute directly, as a real HPA or Auto Scaling
 * group would.
 */
export function handleSimulationEffects(host: ActorHost, options: SimulationEffectsOptions): EffectRecord {
  const { queue, compute, scaleIn, workerTimeouts } = options;
  const record: EffectRecord = { reports: new Map(), failures: [], errors: [] };
  const silent = { log: () => undefined, warn: () => undefined };
  host.changes$.subscribe(({ actor, replayed }) => {
    const outcome = replayed ? undefined : outcomeOfChange(actor);
    if (outcome?.status === 'reported') {
      record.reports.set(outcome.jobId, (record.reports.get(outcome.jobId) ?? 0) + 1);
    } else if (outcome) {
      record.failures.push(outcome);
    }
  });
  host.handle(
    JOB,
    recordingErrors(
      jobEffects({
        requests: { send: async (body) => queue.send((JSON.parse(body) as JobRequest).jobId) },
        logger: silent,
      }),
      record.errors,
    ),
  );
  host.handle(
    WORKER,
    recordingErrors(
      workerEffects({
        compute,
        // The simulated workers report no receipt handles: a killed instance's job comes back
        // after the visibility timeout, which the simulated queue keeps itself.
        requests: { changeVisibility: async () => undefined, delete: async () => undefined },
        instances: new Map(),
        workerEnv: () => ({}),
        stopGraceMs: 60_000,
        logger: silent,
      }),
      record.errors,
    ),
  );
  const controller = controllerEffects({ workerTimeouts });
  const killVictims: EffectHandlers<typeof CONTROLLER.effects>['terminateWorkers'] = async (_, { host }) => {
    if (scaleIn.mode !== 'kill') return;
    const decision = (host.get(CONTROLLER_STREAM)!.snapshot.context as ControllerContext).lastDecision!;
    const candidates = compute
      .live()
      .map((i) => ({ workerId: i.workerId, launchedAt: i.launchedAt, booting: i.state === 'booting' }));
    const terminated = scaleIn.victims(candidates, decision.capacity - decision.desired, options.random);
    terminated.forEach((workerId) => compute.kill(workerId));
    await host.dispatch(CONTROLLER_STREAM, { type: 'ScalingActionCompleted', launched: [], terminated });
  };
  const noScaleIn: typeof killVictims = async (_, { host }) => {
    await host.dispatch(CONTROLLER_STREAM, { type: 'ScalingActionCompleted', launched: [], terminated: [] });
  };
  const terminateWorkers =
    scaleIn.mode === 'drain'
      ? controller.terminateWorkers
      : scaleIn.mode === 'kill'
        ? killVictims
        : noScaleIn;
  host.handle(CONTROLLER, recordingErrors({ ...controller, terminateWorkers }, record.errors));
  // The simulated uploads name no callback URL; one that did would fail each attempt, saying why.
  host.handle(
    WEBHOOK,
    webhookEffects({
      config: { allowedHosts: [], timeoutMs: 1 },
      send: async () => ({ ok: false, reason: 'the simulator sends no webhooks' }),
      clock: { now: () => 0 },
      logger: silent,
    }),
  );
  return record;
}
