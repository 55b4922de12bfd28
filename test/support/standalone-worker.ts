import { ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { openLocalObjectStore, openLocalQueues } from '../../src/adapters/local/local-adapters';
import { SystemClock } from '../../src/clock/system-clock';
import {
  decodeMessage,
  JobRequest,
  objectKeys,
  WorkerReport,
  WorkerReportsSchema,
} from '../../src/pipeline/messages';
import { REPO_ROOT } from './paths';
import { track } from './spawned';

/** The queues and objects of a data folder, as a control plane would see them (jobs dead-lettered after `maxAttempts`). */
export function openDataDir(dataDir: string, maxAttempts = 3) {
  return {
    queues: openLocalQueues(dataDir, maxAttempts, new SystemClock()),
    objects: openLocalObjectStore(dataDir),
  };
}

/** Stores each image and sends its job request; the job ids are `job0`, `job1`, … */
export async function enqueueImages(dataDir: string, files: string[]): Promise<void> {
  const { queues, objects } = openDataDir(dataDir);
  const requests: string[] = [];
  for (const [i, file] of files.entries()) {
    const jobId = `job${i}`;
    await objects.put(objectKeys.input(jobId), readFileSync(file), { contentType: 'image/jpeg' });
    const request: JobRequest = {
      v: 1,
      jobId,
      inputKey: objectKeys.input(jobId),
      fileName: basename(file),
      contentType: 'image/jpeg',
    };
    requests.push(JSON.stringify(request));
  }
  for (let i = 0; i < requests.length; i += 10) await queues.requests.sendBatch(requests.slice(i, i + 10));
  await Promise.all(Object.values(queues).map((q) => q.close()));
}

/** The built worker entry as a process of its own, on `dataDir`. */
export function spawnWorker(
  dataDir: string,
  env: Record<string, string>,
): { child: ChildProcess; exit: Promise<number | null> } {
  const child = track(
    spawn(process.execPath, [join(REPO_ROOT, 'dist', 'src', 'worker.js')], {
      cwd: REPO_ROOT,
      env: { ...process.env, WORKER_ID: 'w-test', DATA_DIR: dataDir, HEARTBEAT_MS: '60000', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  // Into this test's output, which is shown only if the test fails.
  child.stdout!.on('data', (chunk: Buffer) => process.stdout.write(chunk));
  child.stderr!.on('data', (chunk: Buffer) => process.stdout.write(chunk));
  return { child, exit: new Promise((resolve) => child.once('exit', (code) => resolve(code))) };
}

/** Takes the worker's report messages off the response queue, appending them to `into`. */
export async function collectReports(
  queues: ReturnType<typeof openLocalQueues>,
  into: WorkerReport[],
): Promise<void> {
  for (const message of await queues.responses.receive({ maxMessages: 10 })) {
    into.push(...decodeMessage(WorkerReportsSchema, message.body).reports);
    await queues.responses.delete(message.receiptHandle);
  }
}

/** Job ids of the reports of one kind. */
export const jobIdsOf = (reports: WorkerReport[], kind: WorkerReport['kind']) =>
  reports.filter((r) => r.kind === kind).map((r) => (r as { jobId: string }).jobId);
