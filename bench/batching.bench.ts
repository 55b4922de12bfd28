import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findRepoRoot } from '../src/models/model-sources';

/**
 * The sweep behind the defaults of WORKER_BATCH_SIZE and BATCH_WAIT_MS: the end-to-end benchmark
 * (300 images, two workers) and the latency benchmark (one image at a time) for each pair, one
 * run each, in this order. Prints one table and writes bench/results/batching.json; the two
 * benchmarks' own results files are left as they were.
 */
const ROOT = findRepoRoot(__dirname);
const RESULTS = join(ROOT, 'bench', 'results');
const SIZES = (process.env.BENCH_BATCH_SIZES ?? '1,2,4,8').split(',').map(Number);
const WAITS = (process.env.BENCH_BATCH_WAITS ?? '0,10').split(',').map(Number);

/** Runs one built benchmark with `env` and returns what it wrote to its results file. */
function run(bench: 'e2e' | 'latency', env: Record<string, string>): Record<string, number> {
  execFileSync(process.execPath, [join(ROOT, 'dist', 'bench', `${bench}.bench.js`)], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return JSON.parse(readFileSync(join(RESULTS, `${bench}.json`), 'utf8'));
}

function main(): void {
  const kept = (['e2e', 'latency'] as const).map((bench) => {
    const file = join(RESULTS, `${bench}.json`);
    return { file, text: existsSync(file) ? readFileSync(file, 'utf8') : undefined };
  });
  const rows: Array<Record<string, number>> = [];
  try {
    for (const size of SIZES) {
      for (const wait of WAITS) {
        const env = {
          BENCH_WORKER_BATCH: String(size),
          WORKER_BATCH_SIZE: String(size),
          BATCH_WAIT_MS: String(wait),
        };
        const e2e = run('e2e', { ...env, BENCH_ROUNDS: '3' });
        const latency = run('latency', { ...env, BENCH_ROUNDS: '1' });
        rows.push({
          WORKER_BATCH_SIZE: size,
          BATCH_WAIT_MS: wait,
          'e2e images/s': e2e.e2eImgPerS,
          'raw images/s': e2e.rawImgPerS,
          ratio: e2e.ratio,
          'latency p50 ms': latency.serviceP50Ms,
          'latency p95 ms': latency.serviceP95Ms,
          'overhead p50 ms': latency.overheadP50Ms,
        });
        console.log(JSON.stringify(rows.at(-1)));
      }
    }
  } finally {
    for (const { file, text } of kept) if (text !== undefined) writeFileSync(file, text);
  }
  console.table(rows);
  mkdirSync(RESULTS, { recursive: true });
  const results = { date: new Date().toISOString().slice(0, 10), rows };
  writeFileSync(join(RESULTS, 'batching.json'), JSON.stringify(results, null, 2) + '\n');
}

main();
