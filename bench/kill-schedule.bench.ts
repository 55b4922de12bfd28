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
 * writes bench/results/kill-schedule.json: makespans, and that every job was reported once.
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
  classifiedMoreThanOnce: number;
}

async function run(kills: number, images: Array<{ name: string; bytes: Buffer }>): Promise<Run> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-kills-'));
  const plane = await startControlPlane(dataDir, {
    MIN_WORKERS: String(WORKERS),
    MAX_WORKERS: String(WORKERS),
  });
  const { url } = plane;
  const reported = async () =>
    ((await (await fetch(`${url}/api/jobs?status=reported&limit=1`)).json()) as { total: number }).total;
  let killed = 0;
  let began = 0;
  let ended = 0;
  try {
    await workersRunning(url, WORKERS);
    began = performance.now();
    for (let i = 0; i < JOBS; i += PER_REQUEST) {
      const form = new FormData();
      for (let k = i; k < Math.min(JOBS, i + PER_REQUEST); k++) {
        const image = images[k % images.length];
        form.append('files', new Blob([image.bytes]), image.name);
      }
      const res = await fetch(`${url}/api/jobs`, { method: 'POST', body: form });
      if (res.status !== 202) throw new Error(`upload answered ${res.status}`);
    }
    for (;;) {
      const done = await reported();
      if (done >= JOBS) break;
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
    ended = performance.now();
  } finally {
    await plane.stop();
  }
  const events = await readLocalEventLog(dataDir);
  rmSync(dataDir, { recursive: true, force: true });
  const perJob = (type: string) => countPerStream(events, type);
  const makespanS = (ended - began) / 1000;
  return {
    kills: killed,
    makespanS: Number(makespanS.toFixed(2)),
    imagesPerS: Number((JOBS / makespanS).toFixed(1)),
    reportedOnce: [...perJob('JobReported').values()].filter((n) => n === 1).length,
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
  if (undisturbed.reportedOnce !== JOBS || withKills.reportedOnce !== JOBS) {
    throw new Error('a job was not reported exactly once');
  }
}

main().catch((error: Error) => {
  console.error(error);
  process.exitCode = 1;
});
