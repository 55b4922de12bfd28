import { Logger } from '@nestjs/common';
import type { CONTROLLER_EFFECTS } from '../../state-machines/controller.machine';
import type { JobContext } from '../../state-machines/job.machine';
import type { WORKER_EFFECTS } from '../../state-machines/worker.machine';
import { CONTROLLER_STREAM, JOB, WORKER } from '../actors/actor-kinds';
import type { Actor } from '../actors/actor-host.service';
import { EffectHandlers } from '../actors/effect-handlers';
import { InstanceNotFoundError } from '../compute/compute.errors';
import { Compute } from '../ports/compute.port';
import { StoredEvent } from '../ports/event-store.port';
import { Queue } from '../ports/queue.port';

/**
 * How long a launched worker may take to start before it is lost and replaced: 3 expected boots
 * (a boot that slow has most likely failed: an instance that never becomes ready), and never
 * under 30 s, which a worker process loading its model on a busy machine may need.
 */
export const bootTimeoutMs = (expectedBootMs: number): number => Math.max(30_000, 3 * expectedBootMs);

/** The timeouts each new worker machine gets. */
export interface WorkerTimeouts {
  idleTimeoutMs: number;
  heartbeatTimeoutMs: number;
  /** A worker not started this long after its launch is lost (and replaced). */
  bootTimeoutMs: number;
}

/** The states of a worker that a termination request has reached already. */
const STOPPING = ['terminating', 'terminated', 'lost'];

/**
 * The id of the `index`-th worker a scale-out launches, made from the decision's event: the same
 * when the scale-out runs again after a crash, so that it creates no worker twice; new for every
 * decision, in this log and in any other. The decision's random `launchNonce` (80 bits) makes it
 * unguessable; decisions recorded before there was one are named by their time and position.
 */
export function workerIdFor(decision: StoredEvent, index: number): string {
  const nonce = decision.data.launchNonce;
  if (typeof nonce === 'string') return `w-${nonce}-${index}`;
  return `w-${decision.recordedAt.toString(36)}-${decision.position.toString(36)}-${index}`;
}

/** What the controller's effects need beside the host. */
export interface ControllerEffectOptions {
  workerTimeouts: WorkerTimeouts;
}

/**
 * The controller's effects: a scale-out creates worker machines (whose own effect launches
 * them), a scale-in asks idle workers to stop; both then tell the controller they are done. Run
 * again, each finds the workers it made or asked already and does not do it twice.
 */
export function controllerEffects({
  workerTimeouts,
}: ControllerEffectOptions): EffectHandlers<typeof CONTROLLER_EFFECTS> {
  return {
    launchWorkers: async ({ count, reason }, { host, event }) => {
      const launched: string[] = [];
      for (let i = 0; i < count; i++) {
        const workerId = workerIdFor(event, i);
        if (!host.get(WORKER.streamId(workerId))) {
          await host.dispatch(WORKER.streamId(workerId), {
            type: 'WorkerLaunchRequested',
            workerId,
            reason,
            ...workerTimeouts,
          });
        }
        launched.push(workerId);
      }
      await host.dispatch(CONTROLLER_STREAM, { type: 'ScalingActionCompleted', launched, terminated: [] });
    },
    terminateWorkers: async ({ workerIds, reason }, { host }) => {
      const terminated: string[] = [];
      for (const workerId of workerIds) {
        const result = await host.dispatch(WORKER.streamId(workerId), {
          type: 'WorkerTerminationRequested',
          reason,
        });
        if (result.accepted || STOPPING.includes(result.actor.snapshot.value as string)) {
          terminated.push(workerId);
        }
      }
      await host.dispatch(CONTROLLER_STREAM, { type: 'ScalingActionCompleted', launched: [], terminated });
    },
  };
}

/** How many times a job was handed to the queue: it grows when its machine sends a fresh message. */
const enqueuesOf = (actor?: Actor) => (actor?.snapshot.context as JobContext | undefined)?.enqueues;

/** What the worker's effects act on. */
export interface WorkerEffectPorts {
  compute: Pick<Compute, 'launch' | 'terminate'>;
  /** The request queue, to give back (or delete, when replaced) the messages a lost worker held. */
  requests: Pick<Queue, 'changeVisibility' | 'delete'>;
  /** Instance ids by worker id, filled by launches and by reconciliation with the provider. */
  instances: Map<string, string>;
  /** The environment each worker is launched with. */
  workerEnv: () => Record<string, string>;
  /** Grace a draining worker gets to finish its batch before it is killed. */
  stopGraceMs: number;
  /** Default: a Nest `Logger` ('WorkerEffects'). */
  logger?: Pick<Logger, 'log'>;
}

/**
 * The worker machine's effects on the compute provider and the request queue. A launch that runs
 * again after a crash finds the instance already known (or the provider's idempotency token
 * returns it); stopping an instance that is gone only records that it is gone.
 */
export function workerEffects({
  compute,
  requests,
  instances,
  workerEnv,
  stopGraceMs,
  logger = new Logger('WorkerEffects'),
}: WorkerEffectPorts): EffectHandlers<typeof WORKER_EFFECTS> {
  const stopped = (signal: string | null) => ({ type: 'WorkerStopped', exitCode: null, signal });
  return {
    launchWorker: async ({ workerId }) => {
      if (instances.has(workerId)) return;
      const { instanceId } = await compute.launch({ workerId, env: workerEnv() });
      instances.set(workerId, instanceId);
      logger.log({ msg: 'worker launched', workerId, instanceId });
    },
    stopWorker: async ({ workerId, instanceId, force }, { host }) => {
      const instance = instanceId ?? instances.get(workerId);
      const stream = WORKER.streamId(workerId);
      try {
        if (!instance) throw new InstanceNotFoundError(`No instance for ${workerId}`);
        await compute.terminate(instance, { graceMs: force ? 0 : stopGraceMs });
      } catch (error) {
        if (!(error instanceof InstanceNotFoundError)) throw error;
        // Nothing runs: the worker is already gone.
        await host.dispatch(stream, stopped(null));
        return;
      }
      // A drained worker reports its own exit; a killed one is gone once the provider has it.
      if (force) await host.dispatch(stream, stopped('SIGKILL'));
    },
    releaseJobs: async ({ workerId, jobs, held }, { host }) => {
      // Each job's machine says what becomes of its message: given back at once (visible again,
      // first in line), or, when that delivery would be its last, replaced by a fresh one the
      // machine sends, so that a loss never uses up a job's deliveries. A handle that no longer
      // holds its message (the job was finished, or the message redelivered already) is passed over.
      for (const { jobId, receiptHandle } of jobs) {
        const stream = JOB.streamId(jobId);
        const before = enqueuesOf(host.get(stream));
        const result = await host.dispatch(stream, { type: 'JobReleased', workerId, alone: held === 1 });
        // A finished job (no longer in the host) ignores the release.
        const replaced = result.accepted && enqueuesOf(result.actor) !== before;
        await (replaced ? requests.delete(receiptHandle) : requests.changeVisibility(receiptHandle, 0)).catch(
          () => undefined,
        );
      }
      if (jobs.length > 0)
        logger.log({ msg: 'released the jobs of a lost worker', workerId, released: jobs.length, held });
    },
  };
}
