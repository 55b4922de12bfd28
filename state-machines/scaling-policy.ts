/** What the controller observed, gathered before the policy runs. */
export interface ScalingInputs {
  /** Messages waiting in the request queue. */
  visible: number;
  /** Messages received by a worker and not yet deleted. */
  inFlight: number;
  /** Workers by state. Pending workers count as capacity on the way. */
  workers: { pending: number; running: number; idle: number; terminating: number };
  /** Ids of idle workers, longest idle first: the only candidates for scale-in. */
  idleWorkerIds: string[];
}

/** The policy's numbers. */
export interface ScalingSettings {
  /** Always-on workers (default 1). */
  minWorkers: number;
  /** Never more than this many workers (default: the number of cores locally). */
  maxWorkers: number;
  /** Backlog one worker is expected to carry (default 10 messages). */
  targetBacklogPerWorker: number;
}

export type ScalingAction = 'scaleOut' | 'scaleIn' | 'hold';

/** A decision with everything it was made from, so the log explains itself. */
export interface ScalingDecision {
  action: ScalingAction;
  /** Workers the policy wants, after clamping to [min, max]. */
  desired: number;
  /** Workers counted as capacity: pending + running + idle (terminating ones are leaving). */
  capacity: number;
  /** How many to launch (scaleOut), else 0. */
  launch: number;
  /** Which idle workers to terminate (scaleIn), else empty. */
  terminate: string[];
  reason: string;
  inputs: ScalingInputs;
  settings: ScalingSettings;
  policy: string;
}

export const DEFAULT_SCALING_SETTINGS: ScalingSettings = {
  minWorkers: 1,
  maxWorkers: 2,
  targetBacklogPerWorker: 10,
};

const clamp = (n: number, min: number, max: number) => Math.min(max, Math.max(min, n));

/**
 * Policy v1: desired = clamp(ceil(backlog / targetBacklogPerWorker), min, max), with
 * backlog = visible + in flight and pending workers counted as capacity. Scale-in only
 * ever picks idle workers. Pure.
 */
export function decideScaling(inputs: ScalingInputs, settings: ScalingSettings): ScalingDecision {
  const { minWorkers, maxWorkers, targetBacklogPerWorker } = settings;
  const backlog = inputs.visible + inputs.inFlight;
  const { pending, running, idle } = inputs.workers;
  const capacity = pending + running + idle;
  const wanted = Math.ceil(backlog / targetBacklogPerWorker);
  const desired = clamp(wanted, minWorkers, maxWorkers);
  const base = { desired, capacity, inputs, settings, policy: 'backlog-v1' };
  const need = `backlog ${backlog} (${inputs.visible} waiting, ${inputs.inFlight} in flight) at ${targetBacklogPerWorker} per worker wants ${wanted}, clamped to ${desired} in [${minWorkers}, ${maxWorkers}]`;
  const have = `${running} running + ${idle} idle + ${pending} pending = ${capacity}`;

  if (desired > capacity) {
    const launch = desired - capacity;
    return {
      ...base,
      action: 'scaleOut',
      launch,
      terminate: [],
      reason: `${need}; ${have}: launch ${launch}`,
    };
  }
  if (desired < capacity) {
    const terminate = inputs.idleWorkerIds.slice(0, capacity - desired);
    if (terminate.length > 0) {
      return {
        ...base,
        action: 'scaleIn',
        launch: 0,
        terminate,
        reason: `${need}; ${have}: stop ${terminate.length} idle`,
      };
    }
    return {
      ...base,
      action: 'hold',
      launch: 0,
      terminate: [],
      reason: `${need}; ${have}: surplus, but none idle`,
    };
  }
  return { ...base, action: 'hold', launch: 0, terminate: [], reason: `${need}; ${have}: fleet fits` };
}
