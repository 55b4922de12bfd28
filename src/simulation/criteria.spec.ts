import { dominates, judge } from './criteria';
import { ScalingMetrics } from './metrics';

const row = (policy: string, over: Partial<ScalingMetrics> = {}): ScalingMetrics => ({
  trace: 'periodic-bursts',
  policy,
  makespanS: 100,
  p50LatencyS: 10,
  p95LatencyS: 20,
  instanceSeconds: 1000,
  billedSeconds: 1000,
  peakWorkers: 10,
  scaleEvents: 2,
  busyKilled: 0,
  bootFailures: 0,
  flaps: 0,
  ...over,
});

describe('the elasticity criteria', () => {
  it('dominates: no worse on p95 latency and billed cost, better on one', () => {
    expect(dominates(row('a', { p95LatencyS: 19 }), row('b'))).toBe(true);
    expect(dominates(row('a', { billedSeconds: 999 }), row('b'))).toBe(true);
    expect(dominates(row('a'), row('b'))).toBe(false);
    expect(dominates(row('a', { p95LatencyS: 19, billedSeconds: 1001 }), row('b'))).toBe(false);
  });

  it("passes ours within the trace's ratios of the original's p95 and billed cost, with nobody dominating it", () => {
    const rows = [row('original'), row('ours', { p95LatencyS: 22, billedSeconds: 600 })];
    expect(judge('periodic-bursts', rows)).toMatchObject({ pass: true, failures: [] });
  });

  it('names every reason it fails: a ratio, a contender that dominates, busy kills, flaps', () => {
    const rows = [
      row('original'),
      row('keda', { p95LatencyS: 21, billedSeconds: 500 }),
      row('ours', { p95LatencyS: 23, billedSeconds: 700, busyKilled: 1, flaps: 2 }),
    ];
    expect(judge('periodic-bursts', rows).failures).toEqual([
      "p95 1.15 × the original's (at most 1.1)",
      "billed 0.70 × the original's (at most 0.6)",
      'dominated by keda',
      '1 busy workers killed',
      '2 flaps',
    ]);
  });

  it('compares bursts by makespan', () => {
    const rows = [row('original', { makespanS: 100 }), row('ours', { makespanS: 101, billedSeconds: 50 })];
    expect(judge('original-10', rows).failures).toEqual(["makespan 1.01 × the original's (at most 1)"]);
  });
});
