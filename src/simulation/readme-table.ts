import { ScalingMetrics } from './metrics';

/** Where the README keeps the scaling table that `npm run bench:scaling` writes. */
export const TABLE_START = '<!-- scaling-table:start (written by npm run bench:scaling) -->';
export const TABLE_END = '<!-- scaling-table:end -->';

/** A number as the README's tables show it: one decimal below 1 000, else whole with its thousands spaced. */
export function readmeNumber(n: number): string {
  if (Math.abs(n) < 1000) return n.toFixed(1);
  return Math.round(n)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ' ');
}

/** The markdown table of the original's and our rows, trace by trace, in the rows' order. */
export function scalingTable(rows: readonly ScalingMetrics[], policies = ['original', 'ours']): string {
  const header = [
    'trace',
    'policy',
    'makespan s',
    'p50 / p95 latency s',
    'instance-s',
    'billed s',
    'peak',
    'busy killed',
    'boot failures',
    'flaps',
  ];
  const lines = rows
    .filter((row) => policies.includes(row.policy))
    .map((row) => [
      row.trace,
      row.policy,
      readmeNumber(row.makespanS),
      `${readmeNumber(row.p50LatencyS)} / ${readmeNumber(row.p95LatencyS)}`,
      readmeNumber(row.instanceSeconds),
      readmeNumber(row.billedSeconds),
      String(row.peakWorkers),
      String(row.busyKilled),
      String(row.bootFailures),
      String(row.flaps),
    ]);
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...lines.map(line)].join('\n');
}

/**
 * `readme` with the text between {@link TABLE_START} and {@link TABLE_END} replaced by `table`.
 * @throws Error when the markers are missing, so a moved README is noticed rather than left stale.
 */
export function withScalingTable(readme: string, table: string): string {
  const start = readme.indexOf(TABLE_START);
  const end = readme.indexOf(TABLE_END);
  if (start < 0 || end < start) throw new Error(`README.md has no ${TABLE_START} … ${TABLE_END} section`);
  return `${readme.slice(0, start + TABLE_START.length)}\n\n${table}\n\n${readme.slice(end)}`;
}
