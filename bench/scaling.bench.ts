import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findRepoRoot } from '../src/models/model-sources';
import { CONTENDERS, ORIGINAL, OURS } from '../src/simulation/contenders';
import { ScalingMetrics } from '../src/simulation/metrics';
import { simulate } from '../src/simulation/simulation';
import { benchTraces } from '../src/simulation/traces';

/**
 * Scaling benchmark: each trace (the original's two tests, a 10 000-image burst, a day) replayed
 * under four policies — the original, KEDA-like, AWS target tracking and ours — on the real
 * machines, host and scaling loop over a simulated queue, compute provider and clock (boot
 * 40 s ± 3 s, about 1 s per image). Prints a table; writes bench/results/scaling.json.
 */
async function main(): Promise<void> {
  Logger.overrideLogger(['error']);
  const rows: ScalingMetrics[] = [];
  const verdicts: string[] = [];
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
    const original = byPolicy.get(ORIGINAL.name)!;
    const ours = byPolicy.get(OURS.name)!;
    const work = trace.serviceMs.reduce((sum, ms) => sum + ms, 0) / 1000;
    const ratio = ours.instanceSeconds / original.instanceSeconds;
    const pass = ours.makespanS <= original.makespanS && ratio <= 0.5 && ours.busyKilled === 0;
    verdicts.push(
      `${trace.name.padEnd(13)} ${pass ? 'dominates' : 'does NOT dominate'}: makespan ${ours.makespanS} s vs ${original.makespanS} s, ` +
        `instance-seconds ${(100 * ratio).toFixed(0)} % of the original's (${ours.instanceSeconds} vs ${original.instanceSeconds}; ` +
        `the work alone is ${work.toFixed(0)} s), busyKilled ${ours.busyKilled}`,
    );
  }
  console.table(rows);
  console.log('ours against the original (makespan ≤, instance-seconds ≤ 50 %, busyKilled 0):');
  verdicts.forEach((line) => console.log(`  ${line}`));
  const dir = join(findRepoRoot(__dirname), 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'scaling.json'), JSON.stringify(rows, null, 2) + '\n');
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
