import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as prettier from 'prettier';
import { join } from 'node:path';
import { findRepoRoot } from '../src/models/model-sources';
import { CONTENDERS } from '../src/simulation/contenders';
import { judge, Verdict } from '../src/simulation/criteria';
import { ScalingMetrics } from '../src/simulation/metrics';
import { simulate } from '../src/simulation/simulation';
import { scalingTable, withScalingTable } from '../src/simulation/readme-table';
import { benchTraces } from '../src/simulation/traces';

/**
 * Scaling benchmark: each trace (the original's two tests, a 10 000-image burst, a day, periodic
 * bursts, a flash crowd with slow and failing boots) replayed under four policies — the original,
 * KEDA-like, AWS target tracking and ours — on the real machines, host and scaling loop over a
 * simulated queue, compute provider and clock (boot 40 s ± 3 s, about 1 s per image). Prints a
 * table and one verdict per trace (`judge`), writes bench/results/scaling.json and the README's
 * table of the original's rows and ours (formatted as the repository's Prettier would), and exits 1
 * when a verdict fails.
 */
async function main(): Promise<void> {
  Logger.overrideLogger(['error']);
  const rows: ScalingMetrics[] = [];
  const verdicts: Verdict[] = [];
  for (const trace of benchTraces()) {
    console.log(`${trace.name}: ${trace.description}`);
    const byPolicy = new Map<string, ScalingMetrics>();
    for (const contender of CONTENDERS) {
      const began = performance.now();
      const { metrics, checks } = await simulate(trace, contender);
      const seconds = (performance.now() - began) / 1000;
      console.log(
        `  ${contender.name.padEnd(20)} ${seconds.toFixed(1).padStart(5)} s real; ` +
          `${checks.decisions} decisions, ${checks.redelivered} redeliveries, ${checks.stopsWhileBusy} drains of a busy worker`,
      );
      if (checks.terminatingWhileHolding > 0)
        throw new Error(`${trace.name}/${contender.name}: a worker machine terminated while holding a job`);
      rows.push(metrics);
      byPolicy.set(contender.name, metrics);
    }
    verdicts.push(judge(trace.name, [...byPolicy.values()]));
  }
  console.table(rows);
  console.log(
    'ours against the original, and no contender dominating ours (see src/simulation/criteria.ts):',
  );
  for (const v of verdicts)
    console.log(
      `  ${v.trace.padEnd(16)} ${v.pass ? 'PASS' : 'FAIL'}: ${v.summary}${v.pass ? '' : ` — ${v.failures.join('; ')}`}`,
    );
  const root = findRepoRoot(__dirname);
  const dir = join(root, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'scaling.json'), JSON.stringify(rows, null, 2) + '\n');
  const readmePath = join(root, 'README.md');
  const readme = withScalingTable(readFileSync(readmePath, 'utf8'), scalingTable(rows));
  const options = await prettier.resolveConfig(readmePath);
  writeFileSync(readmePath, await prettier.format(readme, { ...options, filepath: readmePath }));
  console.log('README.md: the scaling table written');
  // A criterion that fails is a regression to see, as a failing command.
  if (verdicts.some((v) => !v.pass)) process.exitCode = 1;
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
