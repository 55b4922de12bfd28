import 'reflect-metadata';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readLocalEventLog } from '../src/adapters/local/local-adapters';
import { datasetCacheDir } from '../src/datasets/dataset-fetcher';
import { countPerStream } from '../src/events/read-whole-log';
import { findRepoRoot } from '../src/models/model-sources';
import { pidOfWorker, sleep, startControlPlane, workersRunning } from './control-plane';

/**
 * 1 000 images through a control plane with WORKERS worker processes, undisturbed and then with
 * KILLS SIGKILLs of a worker holding jobs, spread evenly over the run (one each time another
 * 1 000 / KILLS jobs have been reported). The visibility timeout is the default 30 s: without
 * the release of a lost worker's messages, each kill would cost its jobs that long. Prints and
 * writes bench/results/kill-schedule.json: makespans, and that every job ended, reported once or
 * failed. BENCH_JOBS and BENCH_KILLS change the numbers; BENCH_KEEP_DATA=1 keeps each run's data
 * folder (its event log) for a look afterwards.
 */
const ROOT = findRepoRoot(__dirname);
const IMAGES_DIR = join(datasetCacheDir(ROOT), 'ilsvrc2012-val-sample', 'images');
const JOBS = Number(process.env.BENCH_JOBS ?? 1000);
const KILLS = Number(process.env.BENCH_KILLS ?? 20);
const WORKERS = 3;
const PER_REQUEST = 20;

interface Run {
  kills: number;
  makespanS: number;
  imagesPerS: number;
  reportedOnce: number;
  failed: number;
  classifiedMoreThanOnce: number;
}

async function run(kills: number, images: Array<{ name: string; bytes: Buffer }>): Promise<Run> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-kills-'));
  const plane = await startControlPlane(dataDir, {
    MIN_WORKERS: String(WORKERS),
    MAX_WORKERS: String(WORKERS),
  });
  const { url } = plane;
  const count = async (status: string) =>
    ((await (await fetch(`${url}/api/jobs?status=${status}&limit=1`)).json()) as { total: number }).total;
  const ended = async () => (await count('reported')) + (await count('failed')) + (await count('rejected'));
  let killed = 0;
  let began = 0;
  let finished = 0;
  try {
    await workersRunning(url, WORKERS);
    began = performance.now();
    // Uploads go on beside the kills, so that the kills spread over the whole run.
    const uploads = (async () => {
      for (let i = 0; i < JOBS; i += PER_REQUEST) {
        const form = new FormData();
        for (let k = i; k < Math.min(JOBS, i + PER_REQUEST); k++) {
          const image = images[k % images.length];
          form.append('files', new Blob([image.bytes]), image.name);
        }
        const res = await fetch(`${url}/api/jobs`, { method: 'POST', body: form });
        if (res.status !== 202) throw new Error(`upload answered ${res.status}`);
      }
    })();
    let uploadFailed = false;
    uploads.catch(() => (uploadFailed = true));
    for (;;) {
      const done = await ended();
      if (done >= JOBS || uploadFailed) break;
      if (killed < kills && done >= ((killed + 1) * JOBS) / (kills + 1)) {
        const { workers } = (await (await fetch(`${url}/api/fleet`)).json()) as {
          workers: Array<{ id: string; jobsInHand: string[] }>;
        };
        const pid = workers
          .filter((w) => w.jobsInHand.length > 0)
          .map((w) => pidOfWorker(w.id))
          .find((p) => p !== undefined);
        if (pid !== undefined) {
          process.kill(pid, 'SIGKILL');
          killed++;
        }
      }
      await sleep(5);
    }
    finished = performance.now();
    await uploads;
  } finally {
    await plane.stop();
  }
  const events = await readLocalEventLog(dataDir);
  if (process.env.BENCH_KEEP_DATA) console.log(`data of the run with ${killed} kills kept in ${dataDir}`);
  else rmSync(dataDir, { recursive: true, force: true });
  const perJob = (type: string) => countPerStream(events, type);
  const makespanS = (finished - began) / 1000;
  return {
    kills: killed,
    makespanS: Number(makespanS.toFixed(2)),
    imagesPerS: Number((JOBS / makespanS).toFixed(1)),
    reportedOnce: [...perJob('JobReported').values()].filter((n) => n === 1).length,
    // A job whose every delivery was cut short by a kill is dead-lettered after MAX_ATTEMPTS.
    failed: perJob('JobDeadLettered').size + perJob('EffectFailed').size,
    classifiedMoreThanOnce: [...perJob('JobClassified').values()].filter((n) => n > 1).length,
  };
}

async function main(): Promise<void> {
  const images = readdirSync(IMAGES_DIR)
    .sort()
    .map((name) => ({ name, bytes: readFileSync(join(IMAGES_DIR, name)) }));
  const undisturbed = await run(0, images);
  console.log(JSON.stringify({ undisturbed }));
  const withKills = await run(KILLS, images);
  console.log(JSON.stringify({ withKills }));
  const results = { jobs: JOBS, workers: WORKERS, undisturbed, withKills };
  mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
  writeFileSync(
    join(ROOT, 'bench', 'results', 'kill-schedule.json'),
    `${JSON.stringify(results, null, 2)}\n`,
  );
  for (const run of [undisturbed, withKills]) {
    if (run.reportedOnce + run.failed !== JOBS) throw new Error('a job was neither reported once nor failed');
  }
}

main().catch((error: Error) => {
  console.error(error);
  process.exitCode = 1;
});
