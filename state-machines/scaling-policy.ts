/** Workers by state. */
export interface WorkerCounts {
  pending: number;
  running: number;
  idle: number;
  terminating: number;
}

/** What the controller observed, gathered before the policy runs. */
export interface ScalingInputs {
  /** Messages waiting in the request queue (delayed ones included). */
  visible: number;
  /** Messages received by a worker and not yet deleted. */
  inFlight: number;
  workers: WorkerCounts;
  /**
   * Idle workers, longest idle first: the only candidates for scale-in; with how long since each
   * was launched, when known (for the billed minute).
   */
  idleWorkers: Array<{ id: string; idleForMs: number; launchedForMs?: number }>;
  /** Workers launched and not yet running, with their age: capacity on the way. */
  pendingWorkers: Array<{ id: string; ageMs: number }>;
  /** Measured time one worker spends per image (moving average); undefined until measured. */
  serviceTimeMs?: number;
  /** Jobs uploaded per second over the last minute; undefined when not observed. */
  arrivalsPerS?: number;
}

/** The policy's numbers. Defaults differ per backend: see `LOCAL_SCALING` and `AWS_SCALING`. */
export interface ScalingSettings {
  /** Always-on workers. */
  minWorkers: number;
  /** Never more than this many workers. */
  maxWorkers: number;
  /** How long a job may wait before the fleet should have grown to serve it. */
  acceptableLatencyMs: number;
  /** How long a launched worker takes to become useful. */
  expectedBootMs: number;
  /** Service time per image assumed until one is measured. */
  defaultServiceTimeMs: number;
  /** A worker must have been idle this long before it may be stopped. */
  scaleInStabilisationMs: number;
  /** Most workers stopped in one decision. */
  maxScaleInPerStep: number;
  /**
   * The shortest time a launched worker is billed for: EC2 bills Linux instances per second, at
   * least 60 s from launch. An idle worker younger than this is kept, since stopping it saves
   * nothing. Default 0 (local processes cost nothing to keep).
   */
  billingMinimumMs?: number;
}

/** Embedded default: processes boot in about a second and classify an image in tens of ms. */
export const LOCAL_SCALING: Omit<ScalingSettings, 'maxWorkers'> = {
  minWorkers: 1,
  acceptableLatencyMs: 2_000,
  expectedBootMs: 1_500,
  defaultServiceTimeMs: 30,
  scaleInStabilisationMs: 5_000,
  maxScaleInPerStep: 1,
};

/** AWS: instances boot in about 40 s; the original's small VMs took about 1 s per image. */
export const AWS_SCALING: ScalingSettings = {
  minWorkers: 1,
  maxWorkers: 19,
  acceptableLatencyMs: 50_000,
  expectedBootMs: 40_000,
  defaultServiceTimeMs: 1_000,
  scaleInStabilisationMs: 20_000,
  maxScaleInPerStep: 19,
  billingMinimumMs: 60_000,
};

/** The controller's cooldown on AWS: no scale-in for this long after a scale-out. */
export const AWS_COOLDOWN_MS = 10_000;

/**
 * How often the controller looks at the backlog on AWS. Each look costs one SQS
 * `GetQueueAttributes` (2 s: 1.3 million a month, $0.52 at $0.40 a million, within the free tier's
 * million only in part); looking more often than the original's 10 s lets an idle worker go, and
 * a burst be met, up to 8 s sooner, which on instances billed by the second pays for it.
 */
export const AWS_SCALING_PERIOD_MS = 2_000;

/**
 * A worker with no job for this long is idle on AWS. Only the policy stops an idle worker, and it
 * weighs the worker's billed minute and the arrivals first, so calling one idle early costs
 * nothing; it only lets a finished burst's workers go sooner.
 */
export const AWS_WORKER_IDLE_TIMEOUT_MS = 2_000;

export type ScalingAction = 'scaleOut' | 'scaleIn' | 'hold';

/** A decision with everything it was made from, so the log explains itself. */
export interface ScalingDecision {
  action: ScalingAction;
  /** Workers wanted after this decision: capacity + launch − terminate. */
  desired: number;
  /** Workers counted as capacity: pending + running + idle (terminating ones are leaving). */
  capacity: number;
  /** How many to launch (scaleOut), else 0. */
  launch: number;
  /** Which idle workers to stop (scaleIn), else empty. */
  terminate: string[];
  reason: string;
  inputs: ScalingInputs;
  settings: ScalingSettings;
  /** The numbers the policy derived: service time used, target backlog per worker, work left. */
  derived: Record<string, number>;
  policy: string;
}

/** A scaling policy: pure, from observation and settings to a decision. */
export type ScalingPolicy = (inputs: ScalingInputs, settings: ScalingSettings) => ScalingDecision;

const clamp = (n: number, min: number, max: number) => Math.min(max, Math.max(min, n));
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/**
 * How busy the uploads may keep the workers: the fleet the arrival rate needs is its work per
 * second ÷ 0.8, so that a worker is free a fifth of the time and a queue does not build up from
 * the randomness of arrivals alone (at 100 % busy, the wait of an M/M/c queue grows without bound).
 */
export const TARGET_UTILISATION = 0.8;

/**
 * Scale-in keeps the fleet the arrival rate needs at this lower utilisation: the gap to
 * {@link TARGET_UTILISATION} is the hysteresis that keeps the minute-to-minute noise of a steady
 * rate (±10 % at 2 uploads/s) from stopping a worker and launching it again.
 */
export const SCALE_IN_UTILISATION = 0.6;

/**
 * How much slower than the fastest drain a burst's scale-out may aim for: 1.1. The fastest is
 * that of a fleet grown to the maximum at once; every worker launched is billed at least a minute
 * (`billingMinimumMs`) and a small burst keeps the new ones busy for a fraction of it, so the last
 * few workers of the fastest fleet each buy under a second of drain for a full minute. Aiming a
 * tenth slower keeps the drain near the fastest at about half the workers on a small burst (100
 * images at 1 s with 40 s boots: 9 workers against 19, drained in 48 s against 44 s); a burst too
 * large for the maximum fleet to drain within the acceptable latency is unaffected.
 */
export const BURST_DRAIN_SLACK = 1.1;

/**
 * Backlog per worker, with boot time and latency in view (policy v4). Pure.
 *
 * - Target backlog per worker = acceptable latency ÷ service time.
 * - Scale out at once when running and pending workers cannot drain the backlog within the
 *   acceptable latency: launch enough that they can, or that they drain it within
 *   {@link BURST_DRAIN_SLACK} of the fastest drain when that is sooner, counting each new worker
 *   only from the moment it will have booted, and pending workers from the moment theirs ends. A
 *   worker that would arrive after the backlog is drained is not launched.
 * - Scale out, too, when uploads arrive faster than the fleet serves them at
 *   {@link TARGET_UTILISATION}: launch what the arrival rate of the last minute needs, unless the
 *   fleet on hand is done, with what arrives meanwhile, before a new worker could boot.
 * - Scale in only idle workers, a bounded number per step, never below the minimum, what the
 *   backlog needs, or what the arrival rate needs at {@link SCALE_IN_UTILISATION}; and of those,
 *   only ones idle for the stabilisation window, or sooner once nothing waits in the queue and
 *   nothing was uploaded for a minute (the end of a burst: the ski-rental rule keeps an idle
 *   worker only while a job may still come for it; the jobs in flight are busy workers'). An idle worker within its billed minimum
 *   (`billingMinimumMs`) is kept: stopping it would save nothing.
 */
export const decideScaling: ScalingPolicy = (inputs, settings) => {
  const { minWorkers, maxWorkers, acceptableLatencyMs: latency, expectedBootMs: boot } = settings;
  const serviceMs = inputs.serviceTimeMs ?? settings.defaultServiceTimeMs;
  const target = Math.max(1, Math.floor(latency / serviceMs));
  const backlog = inputs.visible + inputs.inFlight;
  const { pending, running, idle } = inputs.workers;
  const active = running + idle;
  const capacity = active + pending;
  const workMs = backlog * serviceMs;
  const readyIn = (ageMs: number) => Math.max(0, boot - ageMs);
  // Work the fleet we have does before a worker launched now has booted, and within the latency.
  const doneByArrival =
    active * boot + inputs.pendingWorkers.reduce((sum, w) => sum + (boot - readyIn(w.ageMs)), 0);
  const doneWithin = (ms: number) =>
    active * ms + inputs.pendingWorkers.reduce((sum, w) => sum + Math.max(0, ms - readyIn(w.ageMs)), 0);
  const leftAtArrival = workMs - doneByArrival;
  const leftAtLatency = workMs - doneWithin(latency);
  const arrivalsPerS = inputs.arrivalsPerS ?? 0;
  const workersBusy = (arrivalsPerS * serviceMs) / 1000;
  const forRate = Math.ceil(workersBusy / TARGET_UTILISATION);
  const keptForRate = Math.ceil(workersBusy / SCALE_IN_UTILISATION);
  // Work that arrives while a worker launched now boots: the backlog it will find.
  const arrivingDuringBoot = (arrivalsPerS * boot * serviceMs) / 1000;
  const derived = {
    serviceTimeMs: serviceMs,
    targetBacklogPerWorker: target,
    backlog,
    workMs,
    leftAtArrival,
    leftAtLatency,
    arrivalsPerS,
    workersForRate: forRate,
    workersKeptForRate: keptForRate,
  };
  const base = { capacity, inputs, settings, derived, policy: 'backlog-latency-v4' };
  const have = `${running} running + ${idle} idle + ${pending} pending = ${capacity}`;
  const hold = (why: string): ScalingDecision => ({
    ...base,
    action: 'hold',
    desired: capacity,
    launch: 0,
    terminate: [],
    reason: `${have}; ${why}`,
  });
  const out = (launch: number, why: string): ScalingDecision => ({
    ...base,
    action: 'scaleOut',
    desired: capacity + launch,
    launch,
    terminate: [],
    reason: `${have}; ${why}: launch ${launch}`,
  });

  if (capacity < minWorkers) return out(minWorkers - capacity, `below the minimum of ${minWorkers}`);

  if (backlog > 0 && leftAtLatency > 0) {
    if (capacity >= maxWorkers)
      return hold(
        `backlog ${backlog} (${seconds(workMs)} of work) needs more, but the fleet is at the maximum of ${maxWorkers}`,
      );
    if (leftAtArrival <= 0) {
      return hold(
        `backlog ${backlog} (${seconds(workMs)} of work) drains before a new worker could boot (${seconds(boot)})`,
      );
    }
    // The aim is the acceptable latency, or sooner: within BURST_DRAIN_SLACK of the fastest drain,
    // that of a fleet grown to the maximum now. New workers count from the end of their boot. When
    // even that is later than the aim, the fastest drain that gives every new worker at least one
    // image is the aim.
    const fastestMs = boot + leftAtArrival / maxWorkers;
    const aim = Math.min(latency, BURST_DRAIN_SLACK * fastestMs);
    const wanted =
      aim > boot
        ? Math.ceil((workMs - doneWithin(aim)) / (aim - boot))
        : Math.ceil(leftAtArrival / serviceMs);
    const launch = clamp(wanted, 1, maxWorkers - capacity);
    const aimNote =
      aim < latency
        ? `; drained in ${seconds(aim)}, within ${BURST_DRAIN_SLACK} × the fastest (${seconds(fastestMs)})`
        : '';
    return out(
      launch,
      `backlog ${backlog} at ${Math.round(serviceMs)} ms each is ${seconds(workMs)} of work; ${seconds(leftAtLatency)} would be left after the acceptable ${seconds(latency)}${aimNote}`,
    );
  }

  // Uploads arrive faster than the fleet serves them at the target utilisation: the backlog will
  // grow, so launch for the rate now, unless even with what arrives during a boot the fleet on
  // hand is done before a new worker could help.
  if (forRate > capacity && capacity < maxWorkers && leftAtArrival + arrivingDuringBoot > 0) {
    const launch = clamp(forRate - capacity, 1, maxWorkers - capacity);
    return out(
      launch,
      `uploads at ${arrivalsPerS.toFixed(2)}/s need ${forRate} workers at ${TARGET_UTILISATION * 100} % busy`,
    );
  }

  const needed = clamp(Math.max(Math.ceil(backlog / target), keptForRate), minWorkers, maxWorkers);
  const billedMinimum = settings.billingMinimumMs ?? 0;
  const paidFor = (w: ScalingInputs['idleWorkers'][number]) => (w.launchedForMs ?? Infinity) < billedMinimum;
  // Ski rental: an idle worker is kept while the next job may come for it — the stabilisation
  // window, about half a boot — but not once nothing waits in the queue and nothing was uploaded
  // for a minute, the end of a burst, where keeping it only adds cost. (A gap between uploads that
  // come at random is no end: a minute without one at even 0.1 per second is rarer than 1 in 400.)
  // The jobs still in flight are in busy workers' hands, and no idle worker will get one of them.
  // Within its billed minute it costs nothing.
  const burstOver = inputs.visible === 0 && inputs.arrivalsPerS === 0;
  const settled = inputs.idleWorkers.filter(
    (w) => !paidFor(w) && (w.idleForMs >= settings.scaleInStabilisationMs || burstOver),
  );
  const surplus = Math.min(capacity - needed, settings.maxScaleInPerStep, settled.length);
  if (surplus > 0) {
    const stopping = settled.slice(0, surplus);
    const terminate = stopping.map((w) => w.id);
    const why = stopping.every((w) => w.idleForMs >= settings.scaleInStabilisationMs)
      ? `idle for over ${seconds(settings.scaleInStabilisationMs)}`
      : 'idle, with no upload for a minute';
    return {
      ...base,
      action: 'scaleIn',
      desired: capacity - terminate.length,
      launch: 0,
      terminate,
      reason: `${have}; backlog ${backlog} needs ${needed}: stop ${terminate.length} ${why}`,
    };
  }
  if (capacity > needed)
    return hold(
      inputs.idleWorkers.some(paidFor)
        ? `backlog ${backlog} needs ${needed}; idle workers are within their billed ${seconds(billedMinimum)}`
        : `backlog ${backlog} needs ${needed}; no worker idle for ${seconds(settings.scaleInStabilisationMs)} yet`,
    );
  const forRateNote = keptForRate > 0 ? `; uploads at ${arrivalsPerS.toFixed(2)}/s keep ${keptForRate}` : '';
  return hold(
    `backlog ${backlog} (${seconds(workMs)} of work) drains within ${seconds(latency)}${forRateNote}`,
  );
};
