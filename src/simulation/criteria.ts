import { ScalingMetrics } from './metrics';

/** What ours must reach on one trace against the original: time (makespan or p95) and billed cost, as ratios. */
export interface Criterion {
  /** Compared by makespan, or by p95 latency where arrivals are spread out. */
  time: 'makespan' | 'p95';
  /** Ours' time at most this times the original's. */
  timeRatio: number;
  /** Ours' billed seconds at most this times the original's. */
  costRatio: number;
}

/** The criterion of each bench trace (the elasticity issue's table). */
export const CRITERIA: Record<string, Criterion> = {
  'original-10': { time: 'makespan', timeRatio: 1, costRatio: 0.1 },
  'original-100': { time: 'makespan', timeRatio: 1.1, costRatio: 0.5 },
  'burst-10000': { time: 'makespan', timeRatio: 1, costRatio: 1.01 },
  day: { time: 'p95', timeRatio: 1, costRatio: 0.35 },
  'periodic-bursts': { time: 'p95', timeRatio: 1.1, costRatio: 0.6 },
  'flash-crowd': { time: 'p95', timeRatio: 1.1, costRatio: 0.6 },
};

/** One trace's verdict: whether ours meets its criterion, and every reason it does not. */
export interface Verdict {
  trace: string;
  pass: boolean;
  /** The comparison, one line: ours against the original, time and cost. */
  summary: string;
  failures: string[];
}

/** Whether `a` dominates `b` on (p95 latency, billed cost): no worse on both, better on one. */
export function dominates(a: ScalingMetrics, b: ScalingMetrics): boolean {
  const noWorse = a.p95LatencyS <= b.p95LatencyS && a.billedSeconds <= b.billedSeconds;
  return noWorse && (a.p95LatencyS < b.p95LatencyS || a.billedSeconds < b.billedSeconds);
}

/**
 * Judges ours on one trace: its criterion against the original, no contender dominating it, no
 * busy worker killed, no flap. Pure.
 * @param rows every contender's metrics on the trace, ours (`policy: 'ours'`) and the original's among them.
 */
export function judge(trace: string, rows: readonly ScalingMetrics[]): Verdict {
  const ours = rows.find((row) => row.policy === 'ours');
  const original = rows.find((row) => row.policy === 'original');
  if (!ours || !original) throw new Error(`${trace}: ours and the original must both have run`);
  const criterion = CRITERIA[trace];
  const failures: string[] = [];
  const timeOf = (row: ScalingMetrics) => (criterion?.time === 'p95' ? row.p95LatencyS : row.makespanS);
  const timeRatio = timeOf(ours) / timeOf(original);
  const costRatio = ours.billedSeconds / original.billedSeconds;
  if (criterion) {
    if (timeRatio > criterion.timeRatio)
      failures.push(
        `${criterion.time} ${timeRatio.toFixed(2)} × the original's (at most ${criterion.timeRatio})`,
      );
    if (costRatio > criterion.costRatio)
      failures.push(`billed ${costRatio.toFixed(2)} × the original's (at most ${criterion.costRatio})`);
  }
  for (const other of rows)
    if (other !== ours && dominates(other, ours)) failures.push(`dominated by ${other.policy}`);
  if (ours.busyKilled > 0) failures.push(`${ours.busyKilled} busy workers killed`);
  if (ours.flaps > 0) failures.push(`${ours.flaps} flaps`);
  const time = criterion?.time ?? 'makespan';
  const summary =
    `${time} ${timeOf(ours)} s vs ${timeOf(original)} s (${timeRatio.toFixed(2)} ×), ` +
    `billed ${ours.billedSeconds} s vs ${original.billedSeconds} s (${costRatio.toFixed(2)} ×)`;
  return { trace, pass: failures.length === 0, summary, failures };
}
