import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { datasetCacheDir } from '../src/datasets/dataset-fetcher';
import { findRepoRoot } from '../src/models/model-sources';
import { cpuSeconds, startControlPlane, workerPids, workersRunning } from './control-plane';
import { MultipartBody, multipartBody, postMultipart } from './multipart-client';

/**
 * How many uploads the web tier accepts per second: CONCURRENCY clients post `POST /api/jobs`
 * back to back (bodies built beforehand, connections kept alive) to a control plane with one
 * worker classifying beside it, first one image per request, then FILES_PER_REQUEST. Each run
 * begins with WARMUP uploads, not counted: V8 goes on optimising the control plane's code over
 * its first few thousand requests, and a service that has been up a while is what is measured
 * (the warm-up's own rate is printed too, as the cold rate). Counts the 202s per second of wall
 * time, and the CPU per upload of the control plane, its worker and this client (the three share
 * the machine's cores). Writes bench/results/uploads.json.
 */
const ROOT = findRepoRoot(__dirname);
const IMAGES_DIR = join(datasetCacheDir(ROOT), 'ilsvrc2012-val-sample', 'images');
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 2000);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 3000);
const FILES_PER_REQUEST = 10;

/** Posts every body, CONCURRENCY at a time; returns the accepted files per second and the request rate. */
async function run(url: string, bodies: MultipartBody[], filesPerRequest: number) {
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  let next = 0;
  let accepted = 0;
  const began = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < bodies.length) {
        const { status } = await postMultipart(`${url}/api/jobs`, agent, bodies[next++]);
        if (status !== 202) throw new Error(`POST /api/jobs answered ${status}`);
        accepted += filesPerRequest;
      }
    }),
  );
  const seconds = (performance.now() - began) / 1000;
  agent.destroy();
  return { seconds, uploadsPerS: accepted / seconds, requestsPerS: bodies.length / seconds };
}

/** `count` bodies taken from `bodies` in turn, for a warm-up. */
const warmUp = (bodies: MultipartBody[], count: number) =>
  Array.from({ length: count }, (_, i) => bodies[i % bodies.length]);

async function main(): Promise<void> {
  const images = readdirSync(IMAGES_DIR)
    .sort()
    .map((name) => readFileSync(join(IMAGES_DIR, name)));
  const pick = (i: number) => images[i % images.length];
  const single = Array.from({ length: REQUESTS }, (_, i) => multipartBody('files', [pick(i)], i));
  const batched = Array.from({ length: REQUESTS / FILES_PER_REQUEST }, (_, i) =>
    multipartBody(
      'files',
      Array.from({ length: FILES_PER_REQUEST }, (_, k) => pick(i * FILES_PER_REQUEST + k)),
      i * FILES_PER_REQUEST,
    ),
  );

  const rows: Array<Record<string, string | number>> = [];
  const results: Record<string, number> = { concurrency: CONCURRENCY, uploads: REQUESTS, warmUp: WARMUP };
  for (const [name, bodies, files] of [
    ['one image per request', single, 1],
    [`${FILES_PER_REQUEST} images per request`, batched, FILES_PER_REQUEST],
  ] as const) {
    // A fresh service for each, with its worker up, so that one run's backlog does not slow the next.
    const dataDir = mkdtempSync(join(tmpdir(), 'bench-uploads-'));
    const plane = await startControlPlane(dataDir, { MIN_WORKERS: '1', MAX_WORKERS: '1' });
    try {
      await workersRunning(plane.url, 1);
      const cold = await run(plane.url, warmUp(bodies, WARMUP / files), files);
      const [worker] = await workerPids(plane.url);
      const cpu = () => ({ plane: cpuSeconds(plane.process.pid!), worker: cpuSeconds(worker) });
      const before = cpu();
      const clientBefore = process.cpuUsage();
      const { seconds, uploadsPerS, requestsPerS } = await run(plane.url, bodies, files);
      const client = process.cpuUsage(clientBefore);
      const after = cpu();
      const uploads = bodies.length * files;
      const perUploadMs = (cpuS: number) => Number(((cpuS * 1000) / uploads).toFixed(2));
      rows.push({
        run: `POST /api/jobs, ${name}, ${CONCURRENCY} concurrent`,
        requests: bodies.length,
        seconds: Number(seconds.toFixed(2)),
        'requests/s': Number(requestsPerS.toFixed(0)),
        'uploads/s': Number(uploadsPerS.toFixed(0)),
        'cold uploads/s': Number(cold.uploadsPerS.toFixed(0)),
        'control plane CPU ms/upload': perUploadMs(after.plane - before.plane),
        'worker CPU ms/upload': perUploadMs(after.worker - before.worker),
        'client CPU ms/upload': perUploadMs((client.user + client.system) / 1e6),
      });
      const key = files === 1 ? 'single' : 'batched';
      results[`${key}UploadsPerS`] = Number(uploadsPerS.toFixed(0));
      results[`${key}ColdUploadsPerS`] = Number(cold.uploadsPerS.toFixed(0));
      results[`${key}ControlPlaneCpuMsPerUpload`] = perUploadMs(after.plane - before.plane);
      results[`${key}ClientCpuMsPerUpload`] = perUploadMs((client.user + client.system) / 1e6);
    } finally {
      await plane.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }
  console.table(rows);
  console.log(JSON.stringify(results));
  mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
  writeFileSync(join(ROOT, 'bench', 'results', 'uploads.json'), JSON.stringify(results, null, 2) + '\n');
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
