import 'reflect-metadata';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClassifier } from '../src/classifier/classifier.factory';
import { datasetCacheDir } from '../src/datasets/dataset-fetcher';
import { findRepoRoot } from '../src/models/model-sources';
import { pidOfWorker, sleep, startControlPlane, workersRunning } from './control-plane';

/**
 * What one user waiting on one picture pays for the service: sequential `POST /` (the course
 * contract, waiting for the label) on a warm control plane with one worker, against the project's
 * own classifier in this process on the same images, one at a time. Alternates the two for
 * ROUNDS rounds; reports p50 and p95 of each and of the difference, and what the idle worker
 * costs in CPU. Writes bench/results/latency.json.
 */
const ROOT = findRepoRoot(__dirname);
const IMAGES_DIR = join(datasetCacheDir(ROOT), 'ilsvrc2012-val-sample', 'images');
const IMAGES = Number(process.env.BENCH_IMAGES ?? 100);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const IDLE_SAMPLE_MS = 5_000;
const CLOCK_TICKS_PER_S = 100;

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
};

/** Milliseconds of one `POST /` each, in order. */
async function throughTheService(url: string, images: Buffer[]): Promise<number[]> {
  const times: number[] = [];
  for (const [i, bytes] of images.entries()) {
    const form = new FormData();
    form.append('myfile', new Blob([bytes], { type: 'image/jpeg' }), `image-${i}.jpg`);
    const began = performance.now();
    const res = await fetch(`${url}/`, { method: 'POST', body: form });
    const label = await res.text();
    times.push(performance.now() - began);
    if (res.status !== 200 || !label) throw new Error(`POST / answered ${res.status}: ${label}`);
  }
  return times;
}

/** CPU seconds (user + system) the process has used, from /proc. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_S;
}

async function main(): Promise<void> {
  const images = readdirSync(IMAGES_DIR)
    .sort()
    .slice(0, IMAGES)
    .map((name) => readFileSync(join(IMAGES_DIR, name)));
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-latency-'));
  const plane = await startControlPlane(dataDir, { MIN_WORKERS: '1', MAX_WORKERS: '1', WORKER_THREADS: '1' });
  const classifier = await createClassifier({ repoRoot: ROOT, intraOpNumThreads: 1 });
  try {
    await workersRunning(plane.url, 1);
    await throughTheService(plane.url, images.slice(0, 10));
    for (const bytes of images.slice(0, 10)) await classifier.classifyBatch([bytes]);

    const service: number[] = [];
    const raw: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      service.push(...(await throughTheService(plane.url, images)));
      for (const bytes of images) {
        const began = performance.now();
        const [outcome] = await classifier.classifyBatch([bytes]);
        raw.push(performance.now() - began);
        if (!outcome.ok) throw new Error('the raw classifier failed on an image');
      }
    }

    // The idle worker: what it spends while nothing is asked of it.
    const { workers } = (await (await fetch(`${plane.url}/api/fleet`)).json()) as {
      workers: { id: string }[];
    };
    const pid = pidOfWorker(workers[0].id);
    let idleCorePercent: number | undefined;
    if (pid) {
      await sleep(1_000);
      const before = cpuSeconds(pid);
      await sleep(IDLE_SAMPLE_MS);
      idleCorePercent = Number((((cpuSeconds(pid) - before) / (IDLE_SAMPLE_MS / 1000)) * 100).toFixed(2));
    }

    const row = (run: string, values: number[]) => ({
      run,
      'p50 ms': Number(percentile(values, 50).toFixed(1)),
      'p95 ms': Number(percentile(values, 95).toFixed(1)),
    });
    const rows = [row('POST / on the service, 1 worker', service), row('in process, 1 thread', raw)];
    const results = {
      images: images.length,
      rounds: ROUNDS,
      serviceP50Ms: rows[0]['p50 ms'],
      serviceP95Ms: rows[0]['p95 ms'],
      rawP50Ms: rows[1]['p50 ms'],
      rawP95Ms: rows[1]['p95 ms'],
      overheadP50Ms: Number((rows[0]['p50 ms'] - rows[1]['p50 ms']).toFixed(1)),
      overheadP95Ms: Number((rows[0]['p95 ms'] - rows[1]['p95 ms']).toFixed(1)),
      idleWorkerCorePercent: idleCorePercent,
    };
    console.table(rows);
    console.log(JSON.stringify(results));
    mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
    writeFileSync(join(ROOT, 'bench', 'results', 'latency.json'), JSON.stringify(results, null, 2) + '\n');
  } finally {
    await classifier.release();
    await plane.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
