import type { JobContext } from '../../state-machines/job.machine';
import type { WorkerContext } from '../../state-machines/worker.machine';
import { ActorHost } from '../actors/actor-host.service';
import { JOB, WORKER } from '../actors/actor-kinds';
import { InMemoryEventStore } from '../adapters/memory/in-memory-event-store';
import { Upcaster } from '../events/upcaster';
import { bootTimeoutMs } from '../fleet/fleet-effects';
import { ScalingLoop } from '../fleet/scaling-loop';
import { EventStore } from '../ports/event-store.port';
import { Contender } from './contenders';
import { billedTime, countFlaps, oneDecimal, percentile, ScalingMetrics, timeInWindow } from './metrics';
import { DurationDistribution, drawDuration, seededRandom } from './random';
import { handleSimulationEffects } from './simulation-effects';
import { SimulatedClock } from './simulated-clock';
import { SimulatedCompute } from './simulated-compute';
import { SimulatedQueue } from './simulated-queue';
import { Trace } from './traces';
import { Tracker } from './tracker';

/** The simulated world's numbers; every one has a default suited to the AWS-like traces. */
export interface SimulationOptions {
  /** Seed of the boot times, of which waiting worker a message wakes, and of baseline victims (default 1). */
  seed?: number;
  /** How often the controller ticks (default: the contender's, else 10 000 ms, the original's period). */
  periodMs?: number;
  /** Boot time of an instance (default 40 s ± 3 s, within 32–50 s). */
  boot?: DurationDistribution;
  /** The share of launches whose instance never becomes ready (default 0). */
  bootFailureRate?: number;
  /** How long a message held by a killed worker stays invisible (default 30 000 ms). */
  visibilityTimeoutMs?: number;
  /** Worker machines: no job for this long → idle (default: the contender's, else 5 000 ms). */
  idleTimeoutMs?: number;
  /** Worker machines: longer than any trace, so that no heartbeats need simulating (default 7 days). */
  heartbeatTimeoutMs?: number;
  /** Virtual time before the first arrival, for the minimum fleet to boot (default 120 000 ms). */
  warmUpMs?: number;
  /** Fail if the fleet is not back at its minimum this long after the last arrival (default 6 h). */
  drainLimitMs?: number;
}

/** Invariants the simulation checked, for tests and the bench. */
export interface SimulationChecks {
  jobs: number;
  /** Jobs whose machine did not end `reported`, or whose result was reported other than once. */
  notReportedOnce: string[];
  /** Jobs a worker finished more than once (redelivery after a kill). */
  processedTwice: number;
  /** Worker machines that entered `terminating` while holding a job (the machine forbids it). */
  terminatingWhileHolding: number;
  /** Graceful stops that reached an instance with a job in hand (it finished the job first). */
  stopsWhileBusy: number;
  /** Deliveries beyond the first. */
  redelivered: number;
  /** Instances alive at the end, and the minimum they should be back to. */
  fleetAtEnd: number;
  minWorkers: number;
  /** Scaling decisions recorded by the controller from the first arrival on. */
  decisions: number;
}

export interface SimulationResult {
  metrics: ScalingMetrics;
  checks: SimulationChecks;
  /** Instances alive at each controller tick from the first arrival: [seconds, instances]. */
  fleet: Array<[number, number]>;
  /** The host and its event log at the end, for inspection. */
  host: ActorHost;
  store: EventStore;
}

const DEFAULTS: Required<SimulationOptions> = {
  seed: 1,
  periodMs: 10_000,
  boot: { meanMs: 40_000, sdMs: 3_000, minMs: 32_000, maxMs: 50_000 },
  bootFailureRate: 0,
  visibilityTimeoutMs: 30_000,
  idleTimeoutMs: 5_000,
  heartbeatTimeoutMs: 7 * 24 * 3_600_000,
  warmUpMs: 120_000,
  drainLimitMs: 6 * 3_600_000,
};

export const SELF_STOP_REASON = 'request queue empty: the worker stops itself';

/**
 * Replays `trace` against `contender` on the real machines, host and scaling loop, with a
 * simulated queue, compute provider and clock. Virtual time jumps from event to event; at each
 * instant, worker events come first, then arrivals, then the controller's tick. Runs until every
 * job is reported and the fleet is back at its minimum.
 * @throws Error if an effect or a step failed, or the fleet did not settle in time.
 */
export async function simulate(
  trace: Trace,
  contender: Contender,
  options: SimulationOptions = {},
): Promise<SimulationResult> {
  const world = trace.boots && { boot: trace.boots.boot, bootFailureRate: trace.boots.failureRate };
  // A contender may bring its own period and idle timeout (ours: the AWS defaults).
  const own = {
    periodMs: contender.periodMs ?? DEFAULTS.periodMs,
    idleTimeoutMs: contender.idleTimeoutMs ?? DEFAULTS.idleTimeoutMs,
  };
  const o = { ...DEFAULTS, ...world, ...own, ...options };
  const { minWorkers } = contender.settings;
  const clock = new SimulatedClock();
  const store = new InMemoryEventStore(clock);
  const host = new ActorHost(store, clock, new Upcaster());
  const tracker = new Tracker();
  const queue = new SimulatedQueue(clock, o.visibilityTimeoutMs);
  const bootRandom = seededRandom(o.seed);
  const pickRandom = seededRandom(o.seed + 1);
  const failRandom = seededRandom(o.seed + 3);
  const serviceOf = new Map<string, number>();
  const compute = new SimulatedCompute(host, clock, queue, {
    bootMs: () => drawDuration(bootRandom, o.boot),
    bootFails: () => failRandom() < o.bootFailureRate,
    serviceMs: (jobId) => serviceOf.get(jobId)!,
    pickWaiter: (n) => Math.floor(pickRandom() * n),
    selfStop: contender.workersStopWhenQueueEmpty ? { minWorkers, reason: SELF_STOP_REASON } : undefined,
    track: tracker.track,
  });
  const effects = handleSimulationEffects(host, {
    queue,
    compute,
    scaleIn: contender.scaleIn,
    random: seededRandom(o.seed + 2),
    workerTimeouts: {
      idleTimeoutMs: o.idleTimeoutMs,
      heartbeatTimeoutMs: o.heartbeatTimeoutMs,
      bootTimeoutMs: bootTimeoutMs(contender.settings.expectedBootMs),
    },
  });
  await host.onModuleInit();
  host.onApplicationBootstrap();
  // Worker ids from a counter, so that a run repeats exactly.
  let scaleOuts = 0;
  const loop = new ScalingLoop(
    host,
    clock,
    async () => queue.counts(),
    contender.policy,
    contender.settings,
    () => (++scaleOuts).toString(16).padStart(20, '0'),
  );

  const start = clock.now();
  const t0 = start + o.warmUpMs;
  let scaleEvents = 0;
  let decisions = 0;
  let reported = 0;
  let terminatingWhileHolding = 0;
  const scaleInsAt: number[] = [];
  const scaleOutsAt: number[] = [];
  // Every job's last state, as finished jobs leave the host.
  const jobStates = new Map<string, { state: unknown; context: JobContext }>();
  const subscription = host.changes$.subscribe(({ actor, event }) => {
    if (actor.kind === JOB)
      jobStates.set(actor.id, { state: actor.snapshot.value, context: actor.snapshot.context as JobContext });
    if (event.type === 'JobReported') reported++;
    if (
      actor.kind === WORKER &&
      actor.snapshot.value === 'terminating' &&
      (actor.snapshot.context as WorkerContext).jobsInHand.length > 0
    )
      terminatingWhileHolding++;
    if ((event.data.at as number) < t0) return;
    if (event.type === 'ScalingDecided') decisions++;
    const { launched, terminated } = event.data as { launched?: string[]; terminated?: string[] };
    const at = event.data.at as number;
    if (event.type === 'ScalingActionCompleted' && (launched!.length > 0 || terminated!.length > 0)) {
      scaleEvents++;
      if (launched!.length > 0) scaleOutsAt.push(at);
      if (terminated!.length > 0) scaleInsAt.push(at);
    }
    if (event.type === 'WorkerTerminationRequested' && event.data.reason === SELF_STOP_REASON) {
      scaleEvents++;
      scaleInsAt.push(at);
    }
  });

  const jobs = trace.arrivalsMs.length;
  const fleet: Array<[number, number]> = [];
  let next = 0;
  let nextTickAt = start;
  let measuring = false;
  await loop.configure(contender.cooldownMs);
  const looks = loop.lookWanted$.subscribe(() => tracker.track(loop.tick()));
  try {
    for (;;) {
      const now = clock.now();
      if (!measuring && now >= t0) {
        measuring = true;
        compute.resetPeak();
      }
      for (; next < jobs && t0 + trace.arrivalsMs[next] <= now; next++) {
        const jobId = `j${next.toString().padStart(6, '0')}`;
        serviceOf.set(jobId, trace.serviceMs[next]);
        tracker.track(
          host.dispatch(JOB.streamId(jobId), {
            type: 'JobUploaded',
            jobId,
            fileName: `${jobId}.jpg`,
            contentType: 'image/jpeg',
            sizeBytes: 50_000,
            // Longer than any trace: a job waiting in a long backlog is not lost.
            deadlineMs: o.heartbeatTimeoutMs,
          }),
        );
      }
      await tracker.settle(host);
      if (nextTickAt <= now) {
        nextTickAt += o.periodMs;
        if (now >= t0) fleet.push([(now - t0) / 1000, compute.live().length]);
        tracker.track(loop.tick());
        await tracker.settle(host);
      }
      if (tracker.errors.length > 0) throw tracker.errors[0];
      if (now >= t0 && next === jobs && reported === jobs && settled(host, compute, minWorkers)) break;
      if (now > t0 + (trace.arrivalsMs.at(-1) ?? 0) + o.drainLimitMs)
        throw new Error(
          `${trace.name}/${contender.name}: not settled ${o.drainLimitMs} ms after the last arrival`,
        );
      const due = Math.min(
        clock.nextDueAt() ?? Infinity,
        nextTickAt,
        next < jobs ? t0 + trace.arrivalsMs[next] : Infinity,
      );
      clock.advance(due - now);
    }
  } finally {
    subscription.unsubscribe();
    looks.unsubscribe();
  }
  if (effects.errors.length > 0) throw effects.errors[0];
  const end = clock.now();

  const contexts = [...jobStates.values()];
  const notReportedOnce = contexts
    .filter(({ state, context }) => state !== 'reported' || effects.reports.get(context.jobId) !== 1)
    .map(({ context }) => context.jobId);
  const latencies = contexts.map(({ context }) => (context.reportedAt! - context.uploadedAt) / 1000);
  const lastReport = contexts.reduce((last, { context }) => Math.max(last, context.reportedAt!), 0);
  const lives = compute.all().map((i) => ({ start: i.launchedAt, end: i.exitedAt }));
  const metrics: ScalingMetrics = {
    trace: trace.name,
    policy: contender.name,
    makespanS: oneDecimal((lastReport - (t0 + trace.arrivalsMs[0])) / 1000),
    p50LatencyS: oneDecimal(percentile(latencies, 50)),
    p95LatencyS: oneDecimal(percentile(latencies, 95)),
    instanceSeconds: oneDecimal(timeInWindow(lives, t0, end) / 1000),
    billedSeconds: oneDecimal(billedTime(lives, t0, end) / 1000),
    peakWorkers: compute.peakInstances,
    scaleEvents,
    busyKilled: compute.busyKilled,
    bootFailures: compute.bootFailures,
    flaps: countFlaps(scaleInsAt, scaleOutsAt),
  };
  const checks: SimulationChecks = {
    jobs: contexts.length,
    notReportedOnce,
    processedTwice: [...compute.completions.values()].filter((n) => n > 1).length,
    terminatingWhileHolding,
    stopsWhileBusy: compute.stopsWhileBusy,
    redelivered: queue.totals().redelivered,
    fleetAtEnd: compute.live().length,
    minWorkers,
    decisions,
  };
  if (contexts.length !== jobs || notReportedOnce.length > 0)
    throw new Error(
      `${trace.name}/${contender.name}: ${notReportedOnce.length} of ${jobs} jobs not reported exactly once`,
    );
  return { metrics, checks, fleet, host, store };
}

/** The fleet is back at its minimum: that many instances, and no worker machine between states. */
function settled(host: ActorHost, compute: SimulatedCompute, minWorkers: number): boolean {
  const live = compute.live();
  if (live.length !== minWorkers || live.some((i) => i.state !== 'waiting')) return false;
  return host
    .list(WORKER)
    .every((w) => ['running', 'idle', 'terminated'].includes(w.snapshot.value as string));
}
