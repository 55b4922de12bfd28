import { ScalingMetrics } from './metrics';
import { readmeNumber, scalingTable, TABLE_END, TABLE_START, withScalingTable } from './readme-table';

const row = (policy: string, billedSeconds: number): ScalingMetrics => ({
  trace: 'burst-10000',
  policy,
  makespanS: 565.3,
  p50LatencyS: 301.9,
  p95LatencyS: 538.8,
  instanceSeconds: 10_731.4,
  billedSeconds,
  peakWorkers: 19,
  scaleEvents: 19,
  busyKilled: 0,
  bootFailures: 0,
  flaps: 0,
});

describe("the README's scaling table", () => {
  it('shows one decimal below 1 000, whole numbers with spaced thousands above', () => {
    expect([1, 10.34, 565.3, 999.94, 10_741.7, 129_884.6].map(readmeNumber)).toEqual([
      '1.0',
      '10.3',
      '565.3',
      '999.9',
      '10 742',
      '129 885',
    ]);
  });

  it("holds the original's rows and ours, not the other contenders'", () => {
    const table = scalingTable([row('original', 10_741.7), row('keda', 10_830), row('ours', 10_741.7)]);
    expect(table.split('\n')).toEqual([
      '| trace | policy | makespan s | p50 / p95 latency s | instance-s | billed s | peak | busy killed | boot failures | flaps |',
      '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
      '| burst-10000 | original | 565.3 | 301.9 / 538.8 | 10 731 | 10 742 | 19 | 0 | 0 | 0 |',
      '| burst-10000 | ours | 565.3 | 301.9 / 538.8 | 10 731 | 10 742 | 19 | 0 | 0 | 0 |',
    ]);
  });

  it('replaces what is between its markers, and refuses a README without them', () => {
    const readme = `intro\n${TABLE_START}\nold\n${TABLE_END}\noutro\n`;
    expect(withScalingTable(readme, '| new |')).toBe(
      `intro\n${TABLE_START}\n\n| new |\n\n${TABLE_END}\noutro\n`,
    );
    expect(() => withScalingTable('no markers', '| new |')).toThrow(/scaling-table:start/);
  });
});
