/** One row of `bench/results/scaling.json`: how one policy did on one trace. */
export interface ScalingMetrics {
  trace: string;
  policy: string;
  /** First arrival → last result reported, seconds. */
  makespanS: number;
  /** Arrival → result reported, median and 95th percentile, seconds. */
  p50LatencyS: number;
  p95LatencyS: number;
  /** Instance time paid from the first arrival until the fleet is back at its minimum, seconds. */
  instanceSeconds: number;
  /** Most instances alive at once. */
  peakWorkers: number;
  /** Scaling actions that changed the fleet (scale-outs, scale-ins, workers that stopped themselves). */
  scaleEvents: number;
  /** Instances killed while they held a job. */
  busyKilled: number;
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
