import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openLocalObjectStore, openLocalQueues } from '../src/adapters/local/local-adapters';
import { SystemClock } from '../src/clock/system-clock';
import {
  decodeMessage,
  JobRequest,
  objectKeys,
  WorkerReport,
  WorkerReportsSchema,
} from '../src/pipeline/messages';
import { waitFor } from './support/control-plane-process';
import { datasetImages, REPO_ROOT } from './support/paths';

describe('a worker process told to stop (SIGTERM)', () => {
  let dataDir: string;
  beforeAll(() => (dataDir = mkdtempSync(join(tmpdir(), 'drain-'))));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('finishes the jobs in hand, takes nothing new, says goodbye and exits 0', async () => {
    const queues = openLocalQueues(dataDir, 3, new SystemClock());
    const objects = openLocalObjectStore(dataDir);
    const images = datasetImages('ilsvrc2012-val-sample');
    const requests: string[] = [];
    for (const [i, file] of images.entries()) {
      const jobId = `job${i}`;
      await objects.put(objectKeys.input(jobId), readFileSync(file), { contentType: 'image/jpeg' });
      const request: JobRequest = {
        v: 1,
        jobId,
        inputKey: objectKeys.input(jobId),
        fileName: file,
        contentType: 'image/jpeg',
      };
      requests.push(JSON.stringify(request));
    }
    for (let i = 0; i < requests.length; i += 10) await queues.requests.sendBatch(requests.slice(i, i + 10));

    const worker = spawn(process.execPath, [join(REPO_ROOT, 'dist', 'src', 'worker.js')], {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        WORKER_ID: 'w-drain',
        DATA_DIR: dataDir,
        WORKER_BATCH_SIZE: '2',
        HEARTBEAT_MS: '60000',
      },
      stdio: 'ignore',
    });
    const exit = new Promise<number | null>((resolve) => worker.once('exit', (code) => resolve(code)));
    const reports: WorkerReport[] = [];
    const collect = async () => {
      for (const m of await queues.responses.receive({ maxMessages: 10 })) {
        reports.push(...decodeMessage(WorkerReportsSchema, m.body).reports);
        await queues.responses.delete(m.receiptHandle);
      }
    };
    await waitFor(
      'the first job to start',
      async () => {
        await collect();
        return reports.some((r) => r.kind === 'jobStarted') ? true : undefined;
      },
      60_000,
      10,
    );

    worker.kill('SIGTERM');
    expect(await exit).toBe(0);
    await waitFor(
      'the goodbye',
      async () => {
        await collect();
        return reports.some((r) => r.kind === 'workerStopping') ? true : undefined;
      },
      10_000,
      10,
    );

    const started = reports.filter((r) => r.kind === 'jobStarted').map((r) => (r as { jobId: string }).jobId);
    const finished = reports
      .filter((r) => r.kind === 'jobClassified')
      .map((r) => (r as { jobId: string }).jobId);
    expect(started.length).toBeGreaterThan(0);
    expect(started.length).toBeLessThan(images.length);
    expect(finished.sort()).toEqual([...started].sort());
    expect(reports.at(-1)?.kind).toBe('workerStopping');
    const counts = await queues.requests.approximateCounts();
    expect(counts).toEqual({ visible: images.length - started.length, inFlight: 0, delayed: 0 });
    for (const jobId of finished) expect(await objects.head(objectKeys.output(jobId))).not.toBeNull();
    await Promise.all(Object.values(queues).map((q) => q.close()));
  }, 90_000);
});
