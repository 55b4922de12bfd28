import 'reflect-metadata';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClassifier } from '../src/classifier/classifier.factory';
import { datasetCacheDir } from '../src/datasets/dataset-fetcher';
import { findRepoRoot } from '../src/models/model-sources';
import { cpuSeconds, sleep, startControlPlane, workerPids, workersRunning } from './control-plane';
import { MultipartBody, multipartBody, postMultipart } from './multipart-client';

/**
 * What one user waiting on one picture pays for the service: sequential `POST /` (the course
 * contract, waiting for the label) on a control plane with one worker, warmed by BENCH_WARMUP_PASSES
 * (default 15) untimed passes of the same images, against the project's
 * own classifier in this process on the same images, one at a time. The client is the lean one of
 * {@link postMultipart} (bodies built beforehand), so its own cost stays out of the overhead. Alternates the two for
 * ROUNDS rounds; reports p50 and p95 of each and of the difference, where a job's time goes (the
 * median of each stretch between its events), and what the idle worker costs in CPU. Writes
 * bench/results/latency.json.
 */
const ROOT = findRepoRoot(__dirname);
const IMAGES_DIR = join(datasetCacheDir(ROOT), 'ilsvrc2012-val-sample', 'images');
const IMAGES = Number(process.env.BENCH_IMAGES ?? 100);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
// One job at a time, the control plane's CPU per job fell from 12 ms in the first pass to 7 ms by
// about the fourteenth (1 400 jobs), as V8 optimised its code: fewer passes time a service still
// compiling.
const WARMUP_PASSES = Number(process.env.BENCH_WARMUP_PASSES ?? 15);
// The idle worker is sampled once the last job's aftermath (its garbage, the compiler) has settled.
const IDLE_SETTLE_MS = 3_000;
const IDLE_SAMPLE_MS = 10_000;

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
};

/** One `POST /` as the client saw it: epoch ms when it was sent and when its answer was read. */
interface Request {
  sentAt: number;
  answeredAt: number;
  ms: number;
}

/** Each body through `POST /`, one at a time, in order, over one kept-alive connection. */
async function throughTheService(url: string, bodies: MultipartBody[]): Promise<Request[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const requests: Request[] = [];
  for (const body of bodies) {
    const sentAt = Date.now();
    const began = performance.now();
    const { status, text: label } = await postMultipart(`${url}/`, agent, body);
    requests.push({ sentAt, answeredAt: Date.now(), ms: performance.now() - began });
    if (status !== 200 || !label) throw new Error(`POST / answered ${status}: ${label}`);
  }
  agent.destroy();
  return requests;
}

/** The stretches of one job's time, from its events' times (ms; the worker's and the log's clocks are one here). */
const STRETCHES = [
  'upload: HTTP, multipart, header check, object store, JobUploaded',
  'queue: the request sent and received by the worker',
  'worker: input read and inference (its output is written while it is reported)',
  'response: sent, consumed, JobClassified appended',
  'answer: the result reported to the waiting request',
] as const;

interface JobEvent {
  type: string;
  recordedAt: string;
  data: { at?: number };
}

/** The median of each stretch over the jobs of `requests`, which are the newest uploads, in order. */
async function timeline(url: string, requests: Request[]): Promise<Record<string, number>> {
  const total = ((await (await fetch(`${url}/api/jobs?limit=1`)).json()) as { total: number }).total;
  const ids: string[] = [];
  for (let offset = total - requests.length; offset < total; offset += 100) {
    const page = (await (await fetch(`${url}/api/jobs?offset=${offset}&limit=100`)).json()) as {
      items: { id: string }[];
    };
    ids.push(...page.items.map((item) => item.id));
  }
  const stretches: number[][] = STRETCHES.map(() => []);
  for (const [i, id] of ids.entries()) {
    const events = (await (await fetch(`${url}/api/jobs/${id}/events`)).json()) as JobEvent[];
    const at = (type: string) => events.find((e) => e.type === type)!.data.at!;
    const recorded = (type: string) => Date.parse(events.find((e) => e.type === type)!.recordedAt);
    const marks = [
      requests[i].sentAt,
      at('JobUploaded'),
      at('JobAttemptStarted'),
      at('JobClassified'),
      recorded('JobClassified'),
      requests[i].answeredAt,
    ];
    marks.slice(1).forEach((mark, k) => stretches[k].push(mark - marks[k]));
  }
  return Object.fromEntries(STRETCHES.map((name, k) => [name, percentile(stretches[k], 50)]));
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
    const bodies = images.map((bytes, i) => multipartBody('myfile', [bytes], i));
    // Warm, as a service that has been up a while is: V8 optimises each process's code over its
    // first thousand jobs and more.
    for (let pass = 0; pass < WARMUP_PASSES; pass++) await throughTheService(plane.url, bodies);
    for (const bytes of images.slice(0, 10)) await classifier.classifyBatch([bytes]);

    const requests: Request[] = [];
    const raw: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      requests.push(...(await throughTheService(plane.url, bodies)));
      for (const bytes of images) {
        const began = performance.now();
        const [outcome] = await classifier.classifyBatch([bytes]);
        raw.push(performance.now() - began);
        if (!outcome.ok) throw new Error('the raw classifier failed on an image');
      }
    }

    // The idle worker: what it spends while nothing is asked of it.
    const [pid] = await workerPids(plane.url);
    let idleCorePercent: number | undefined;
    if (pid) {
      await sleep(IDLE_SETTLE_MS);
      const before = cpuSeconds(pid);
      await sleep(IDLE_SAMPLE_MS);
      idleCorePercent = Number((((cpuSeconds(pid) - before) / (IDLE_SAMPLE_MS / 1000)) * 100).toFixed(2));
    }

    const row = (run: string, values: number[]) => ({
      run,
      'p50 ms': Number(percentile(values, 50).toFixed(1)),
      'p95 ms': Number(percentile(values, 95).toFixed(1)),
    });
    const service = requests.map((request) => request.ms);
    const rows = [row('POST / on the service, 1 worker', service), row('in process, 1 thread', raw)];
    const stretches = await timeline(plane.url, requests);
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
      medianStretchesMs: stretches,
    };
    console.table(rows);
    console.table(Object.entries(stretches).map(([stretch, ms]) => ({ stretch, 'p50 ms': ms })));
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
