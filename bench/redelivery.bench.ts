import 'reflect-metadata';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WORKER } from '../src/actors/actor-kinds';
import { readLocalEventLog } from '../src/adapters/local/local-adapters';
import { datasetCacheDir } from '../src/datasets/dataset-fetcher';
import { findRepoRoot } from '../src/models/model-sources';
import { StoredEvent } from '../src/ports/event-store.port';
import { pidOfWorker, sleep, startControlPlane, workersRunning } from './control-plane';
import type { StartedJob } from '../state-machines/worker.machine';

/**
 * Redelivery after a worker dies. A control plane with WORKERS worker processes classifies a
 * steady stream of uploads while this script SIGKILLs a worker that holds jobs, KILLS times, each
 * once the fleet is whole again. For each kill: the time from the kill until every job the worker
 * held was received again by another worker (its next `JobAttemptStarted`, from the log). The
 * request visibility timeout is ten minutes, so only the control plane's release of a lost
 * worker's messages can bring them back sooner. Prints median and max; writes
 * bench/results/redelivery.json.
 */
const ROOT = findRepoRoot(__dirname);
const IMAGES_DIR = join(datasetCacheDir(ROOT), 'ilsvrc2012-val-sample', 'images');
const KILLS = Number(process.env.BENCH_KILLS ?? 20);
const WORKERS = 3;

interface WorkerView {
  id: string;
  state: string;
  jobsInHand: string[];
}

async function main(): Promise<void> {
  const images = readdirSync(IMAGES_DIR)
    .sort()
    .map((name) => ({ name, bytes: readFileSync(join(IMAGES_DIR, name)) }));
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-redelivery-'));
  const plane = await startControlPlane(dataDir, {
    MIN_WORKERS: String(WORKERS),
    MAX_WORKERS: String(WORKERS),
    VISIBILITY_TIMEOUT_MS: '600000',
  });
  const { url } = plane;
  const kills: Array<{ workerId: string; at: number }> = [];
  let uploaded = 0;
  try {
    const fleet = async () =>
      ((await (await fetch(`${url}/api/fleet`)).json()) as { workers: WorkerView[] }).workers;
    // Warm: every worker has its model loaded before the first upload.
    await workersRunning(url, WORKERS);
    let uploading = true;
    const uploader = (async () => {
      for (let i = 0; uploading; i += 20) {
        const form = new FormData();
        for (let k = 0; k < 20; k++) {
          const image = images[(i + k) % images.length];
          form.append('files', new Blob([image.bytes]), image.name);
        }
        const res = await fetch(`${url}/api/jobs`, { method: 'POST', body: form }).catch(() => undefined);
        if (res?.status === 202) uploaded += 20;
        // Keep a backlog, not a flood: the kills need busy workers, not a queue of thousands.
        // (A failed count reads as no backlog: an error here must not end the script with the
        // control plane still running.)
        while (uploading && (await pending(url).catch(() => 0)) > 100) await sleep(20);
      }
    })();

    while (kills.length < KILLS) {
      const workers = await fleet().catch(() => [] as WorkerView[]);
      const ready = workers.filter((w) => w.state === 'running' || w.state === 'idle');
      const victim = ready.length === WORKERS ? ready.find((w) => w.jobsInHand.length > 0) : undefined;
      const pid = victim && pidOfWorker(victim.id);
      if (!victim || !pid) {
        await sleep(5);
        continue;
      }
      kills.push({ workerId: victim.id, at: Date.now() });
      process.kill(pid, 'SIGKILL');
      await sleep(200);
    }
    uploading = false;
    await uploader;
    await sleep(3_000); // let the last released jobs be received again before the log is read
  } finally {
    await plane.stop();
  }

  const events = await readLocalEventLog(dataDir);
  rmSync(dataDir, { recursive: true, force: true });
  const latencies = kills.map((kill) => redeliveryMs(events, kill));
  const measured = latencies
    .filter((ms): ms is number => ms !== undefined && Number.isFinite(ms))
    .sort((a, b) => a - b);
  const results = {
    jobsUploaded: uploaded,
    kills: kills.length,
    killsOfWorkersHoldingJobs: latencies.filter((ms) => ms !== undefined).length,
    heldJobsNeverReceivedAgain: latencies.filter((ms) => ms === Number.POSITIVE_INFINITY).length,
    medianMs: measured[Math.floor(measured.length / 2)],
    maxMs: measured.at(-1),
    allMs: measured,
  };
  console.log(JSON.stringify(results));
  mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
  writeFileSync(join(ROOT, 'bench', 'results', 'redelivery.json'), `${JSON.stringify(results, null, 2)}\n`);
}

/** Jobs waiting or in flight, from the job counts. */
async function pending(url: string): Promise<number> {
  const count = async (status: string) =>
    ((await (await fetch(`${url}/api/jobs?status=${status}&limit=1`)).json()) as { total: number }).total;
  return (await count('uploaded')) + (await count('queued'));
}

/**
 * For one killed worker: the jobs it had started and not finished, and how long after the kill
 * the last of them was received again by another worker; undefined if it held none, infinite if
 * one was never received again.
 */
function redeliveryMs(events: StoredEvent[], kill: { workerId: string; at: number }): number | undefined {
  const stream = WORKER.streamId(kill.workerId);
  const held = new Set<string>();
  for (const e of events.filter((e) => e.streamId === stream)) {
    if (e.type === 'WorkerJobsStarted') (e.data.jobs as StartedJob[]).forEach((job) => held.add(job.jobId));
    if (e.type === 'WorkerJobsFinished') (e.data.jobIds as string[]).forEach((jobId) => held.delete(jobId));
  }
  if (held.size === 0) return undefined;
  let last = 0;
  for (const jobId of held) {
    const again = events.find(
      (e) =>
        e.streamId === `job-${jobId}` &&
        e.type === 'JobAttemptStarted' &&
        e.data.workerId !== kill.workerId &&
        (e.data.at as number) >= kill.at,
    );
    if (!again) return Number.POSITIVE_INFINITY;
    last = Math.max(last, (again.data.at as number) - kill.at);
  }
  return last;
}

main().catch((error: Error) => {
  console.error(error);
  process.exitCode = 1;
});
