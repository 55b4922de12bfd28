/** One row of `bench/results/scaling.json`: how one policy did on one trace. */
export interface ScalingMetrics {
  trace: string;
  policy: string;
  /** First arrival → last result reported, seconds. */
  makespanS: number;
  /** Arrival → result reported, median and 95th percentile, seconds. */
  p50LatencyS: number;
  p95LatencyS: number;
  /** Instance time from the first arrival until the fleet is back at its minimum, seconds. */
  instanceSeconds: number;
  /** The same time as EC2 bills it (see {@link billedTime}), seconds: what the criteria compare. */
  billedSeconds: number;
  /** Most instances alive at once. */
  peakWorkers: number;
  /** Scaling actions that changed the fleet (scale-outs, scale-ins, workers that stopped themselves). */
  scaleEvents: number;
  /** Instances killed while they held a job. */
  busyKilled: number;
  /** Launches whose instance never became ready. */
  bootFailures: number;
  /** Scale-outs that came within {@link FLAP_WINDOW_MS} after a scale-in. */
  flaps: number;
}

/** EC2's shortest bill for one launch of a Linux on-demand instance. */
export const MINIMUM_BILLED_MS = 60_000;
/** A scale-out this soon after a scale-in is a flap: the scale-in cost a boot for nothing. */
export const FLAP_WINDOW_MS = 60_000;

/**
 * Milliseconds of [from, to) that EC2 bills for `lives`: each instance launched in the window per
 * started second from launch to termination, and at least {@link MINIMUM_BILLED_MS}; one launched
 * before the window (an always-on worker) for its time inside it, its minimum paid before.
 */
export function billedTime(
  lives: ReadonlyArray<{ start: number; end?: number }>,
  from: number,
  to: number,
): number {
  let total = 0;
  for (const { start, end } of lives) {
    const until = Math.min(end ?? to, to);
    if (start < from) total += Math.max(0, until - from);
    else if (start < to) total += Math.max(MINIMUM_BILLED_MS, Math.ceil((until - start) / 1000) * 1000);
  }
  return total;
}

/** How many of `scaleOutsAt` come at most {@link FLAP_WINDOW_MS} after one of `scaleInsAt` (ms). */
export function countFlaps(scaleInsAt: readonly number[], scaleOutsAt: readonly number[]): number {
  return scaleOutsAt.filter((out) => scaleInsAt.some((at) => at <= out && out - at <= FLAP_WINDOW_MS)).length;
}

/** The nearest-rank percentile `p` (0–100) of `values`; 0 for none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** Milliseconds of [from, to) that each life [start, end) spends inside the window, summed. */
export function timeInWindow(
  lives: ReadonlyArray<{ start: number; end?: number }>,
  from: number,
  to: number,
): number {
  let total = 0;
  for (const { start, end } of lives) total += Math.max(0, Math.min(end ?? to, to) - Math.max(start, from));
  return total;
}

/** Rounds to one decimal, for the table and the JSON. */
export const oneDecimal = (n: number): number => Math.round(n * 10) / 10;
