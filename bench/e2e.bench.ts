import 'reflect-metadata';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClassifier } from '../src/classifier/classifier.factory';
import { datasetCacheDir } from '../src/datasets/dataset-fetcher';
import { findRepoRoot } from '../src/models/model-sources';
import { cpuSeconds, startControlPlane, workerPids, workersRunning } from './control-plane';
import { MultipartBody, multipartBody, postMultipart } from './multipart-client';

/**
 * End-to-end throughput against raw inference. Uploads the 300 ILSVRC validation images over HTTP
 * (ten per request, the bodies built before the clock starts, see {@link postMultipart})
 * to a control plane with WORKERS worker processes of THREADS ONNX threads each, and times until
 * every job is reported, after BENCH_WARMUP_PASSES (default 15) untimed passes of the same images;
 * then classifies the same images in this process with WORKERS × THREADS threads, after a warm-up. Prints both rates and their ratio, and the CPU each job cost the control plane, the
 * workers, this client and the raw run; writes bench/results/e2e.json.
 */
const ROOT = findRepoRoot(__dirname);
// Fetched into the cache by `npm run bench` (the same step as `npm test`).
const IMAGES_DIR = join(datasetCacheDir(ROOT), 'ilsvrc2012-val-sample', 'images');
const WORKERS = Number(process.env.BENCH_WORKERS ?? 2);
const THREADS = Number(process.env.BENCH_WORKER_THREADS ?? 1);
const BATCH = Number(process.env.BENCH_WORKER_BATCH ?? 4);
const FILES_PER_REQUEST = 10;
const PARALLEL_REQUESTS = 4;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
// The control plane's optimising compiler still spent about 0.6 ms per job in the fourth pass, and
// under 0.1 ms from about the fifteenth on (4 500 jobs): the timed pass measures a settled service.
const WARMUP_PASSES = Number(process.env.BENCH_WARMUP_PASSES ?? 15);

/**
 * Resolves once `expected` jobs were reported, counting the outcomes the live stream sends (no
 * polling; as a client waiting on outcomes would, it asks for them alone, not every change).
 * @throws if a job ends otherwise.
 */
async function countReported(url: string, expected: number): Promise<void> {
  const res = await fetch(`${url}/api/stream?status=reported,rejected,failed`);
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = '';
  let count = 0;
  while (count < expected) {
    const { value, done } = await reader.read();
    if (done) throw new Error('the event stream ended early');
    buffered += value;
    const events = buffered.split('\n\n');
    buffered = events.pop()!;
    const reported = events.filter((e) => e.includes('"status":"reported"')).length;
    if (reported < events.length) throw new Error(`a job was not reported: ${events.join('\n')}`);
    count += reported;
  }
  await reader.cancel();
}

/** One end-to-end run: its seconds, and the CPU seconds per job its control plane and workers used. */
interface EndToEndRun {
  seconds: number;
  /** The first warm-up pass's, on a control plane and workers that had classified nothing yet. */
  coldSeconds: number;
  controlPlaneCpuMsPerJob: number;
  workersCpuMsPerJob: number;
  /** This process's: the uploads and the event stream it reads. */
  clientCpuMsPerJob: number;
}

/** Uploads every image, FILES_PER_REQUEST per request, and resolves with the seconds until all were reported. */
async function classifyAll(url: string, agent: Agent, images: Buffer[]): Promise<number> {
  const bodies: MultipartBody[] = [];
  for (let i = 0; i < images.length; i += FILES_PER_REQUEST) {
    bodies.push(multipartBody('files', images.slice(i, i + FILES_PER_REQUEST), i));
  }
  const reported = countReported(url, images.length);
  const began = performance.now();
  const uploadAll = async () => {
    for (let body = bodies.shift(); body; body = bodies.shift()) {
      const { status } = await postMultipart(`${url}/api/jobs`, agent, body);
      if (status !== 202) throw new Error(`upload answered ${status}`);
    }
  };
  await Promise.all(Array.from({ length: PARALLEL_REQUESTS }, uploadAll));
  await reported;
  return (performance.now() - began) / 1000;
}

async function endToEnd(images: Buffer[]): Promise<EndToEndRun> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-e2e-'));
  const plane = await startControlPlane(dataDir, {
    MIN_WORKERS: String(WORKERS),
    MAX_WORKERS: String(WORKERS),
    WORKER_THREADS: String(THREADS),
    WORKER_BATCH_SIZE: String(BATCH),
  });
  try {
    // Warm, as the raw run is: the fleet is up, every worker has its model loaded, and the images
    // went through the whole pipeline WARMUP_PASSES times (V8 optimises each process's code over
    // its first thousands of jobs) before the clock starts.
    await workersRunning(plane.url, WORKERS);
    const workers = await workerPids(plane.url);
    const cpu = () => ({
      controlPlane: cpuSeconds(plane.process.pid!),
      workers: workers.reduce((sum, pid) => sum + cpuSeconds(pid), 0),
    });
    const agent = new Agent({ keepAlive: true, maxSockets: PARALLEL_REQUESTS });
    let coldSeconds = 0;
    for (let pass = 0; pass < WARMUP_PASSES; pass++) {
      const seconds = await classifyAll(plane.url, agent, images);
      if (pass === 0) coldSeconds = seconds;
    }
    const cpuBefore = cpu();
    const clientBefore = process.cpuUsage();
    const seconds = await classifyAll(plane.url, agent, images);
    agent.destroy();
    const cpuAfter = cpu();
    const client = process.cpuUsage(clientBefore);
    const perJobMs = (before: number, after: number) => ((after - before) * 1000) / images.length;
    return {
      seconds,
      coldSeconds,
      controlPlaneCpuMsPerJob: perJobMs(cpuBefore.controlPlane, cpuAfter.controlPlane),
      workersCpuMsPerJob: perJobMs(cpuBefore.workers, cpuAfter.workers),
      clientCpuMsPerJob: (client.user + client.system) / 1000 / images.length,
    };
  } finally {
    await plane.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** One in-process pass over every image with WORKERS × THREADS threads, after a warm-up: seconds and CPU ms per image. */
async function raw(images: Buffer[]): Promise<{ seconds: number; cpuMsPerJob: number }> {
  const classifier = await createClassifier({ repoRoot: ROOT, intraOpNumThreads: WORKERS * THREADS });
  await classifier.classifyBatch(images.slice(0, 8));
  const began = performance.now();
  const cpuBefore = process.cpuUsage();
  const outcomes = await classifier.classifyBatch(images);
  const cpu = process.cpuUsage(cpuBefore);
  const seconds = (performance.now() - began) / 1000;
  if (outcomes.some((o) => !o.ok)) throw new Error('raw run failed to classify an image');
  await classifier.release();
  return { seconds, cpuMsPerJob: (cpu.user + cpu.system) / 1000 / images.length };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function main(): Promise<void> {
  const images = readdirSync(IMAGES_DIR)
    .sort()
    .map((name) => readFileSync(join(IMAGES_DIR, name)));
  // This machine's speed wanders by tens of percent from minute to minute: alternate the two
  // measurements for several rounds and compare their medians.
  const rows: Array<{ round: number; run: string; seconds: number; 'img/s': number }> = [];
  const e2e: number[] = [];
  const rawRuns: number[] = [];
  const runs: EndToEndRun[] = [];
  const rawCpuMsPerJob: number[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    runs.push(await endToEnd(images));
    e2e.push(runs.at(-1)!.seconds);
    const rawRun = await raw(images);
    rawRuns.push(rawRun.seconds);
    rawCpuMsPerJob.push(rawRun.cpuMsPerJob);
    rows.push(
      {
        round,
        run: `end to end, cold: the first of ${WARMUP_PASSES} warm-up pass(es)`,
        seconds: runs.at(-1)!.coldSeconds,
        'img/s': images.length / runs.at(-1)!.coldSeconds,
      },
      {
        round,
        run: `end to end: HTTP → queue → ${WORKERS} workers × ${THREADS} thread(s), batch ${BATCH}`,
        seconds: e2e.at(-1)!,
        'img/s': images.length / e2e.at(-1)!,
      },
      {
        round,
        run: `raw in process: ${WORKERS * THREADS} threads`,
        seconds: rawRuns.at(-1)!,
        'img/s': images.length / rawRuns.at(-1)!,
      },
    );
  }
  const results = {
    images: images.length,
    warmUpPasses: WARMUP_PASSES,
    e2eImgPerS: Number((images.length / median(e2e)).toFixed(1)),
    coldE2eImgPerS: Number((images.length / median(runs.map((r) => r.coldSeconds))).toFixed(1)),
    rawImgPerS: Number((images.length / median(rawRuns)).toFixed(1)),
    ratio: Number((median(rawRuns) / median(e2e)).toFixed(3)),
    // CPU per job over the timed run, medians: the control plane's competes with the workers'.
    controlPlaneCpuMsPerJob: Number(median(runs.map((r) => r.controlPlaneCpuMsPerJob)).toFixed(2)),
    workersCpuMsPerJob: Number(median(runs.map((r) => r.workersCpuMsPerJob)).toFixed(2)),
    clientCpuMsPerJob: Number(median(runs.map((r) => r.clientCpuMsPerJob)).toFixed(2)),
    rawCpuMsPerJob: Number(median(rawCpuMsPerJob).toFixed(2)),
  };
  console.table(
    rows.map((row) => ({
      ...row,
      seconds: Number(row.seconds.toFixed(2)),
      'img/s': Number(row['img/s'].toFixed(1)),
    })),
  );
  console.log(`medians over ${ROUNDS} rounds:`, JSON.stringify(results));
  mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
  writeFileSync(join(ROOT, 'bench', 'results', 'e2e.json'), JSON.stringify(results, null, 2) + '\n');
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
