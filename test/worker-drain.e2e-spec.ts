import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import sharp from 'sharp';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { objectKeys, WorkerReport } from '../src/pipeline/messages';
import { waitFor } from './support/control-plane-process';
import { datasetImages } from './support/paths';
import {
  collectReports,
  enqueueImages,
  jobIdsOf,
  openDataDir,
  spawnWorker,
} from './support/standalone-worker';

describe('a worker process told to stop (SIGTERM)', () => {
  let dataDir: string;
  beforeAll(() => (dataDir = mkdtempSync(join(tmpdir(), 'drain-'))));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('finishes the jobs in hand, takes nothing new, says goodbye and exits 0', async () => {
    const images = datasetImages('ilsvrc2012-val-sample');
    await enqueueImages(dataDir, images);
    const { queues, objects } = openDataDir(dataDir);
    const worker = spawnWorker(dataDir, { WORKER_BATCH_SIZE: '2' });
    const reports: WorkerReport[] = [];
    await waitFor(
      'the first job to start',
      async () => {
        await collectReports(queues, reports);
        return reports.some((r) => r.kind === 'jobStarted') ? true : undefined;
      },
      60_000,
      10,
    );

    worker.child.kill('SIGTERM');
    expect(await worker.exit).toBe(0);
    await waitFor(
      'the goodbye',
      async () => {
        await collectReports(queues, reports);
        return reports.some((r) => r.kind === 'workerStopping') ? true : undefined;
      },
      10_000,
      10,
    );

    const started = jobIdsOf(reports, 'jobStarted');
    const finished = jobIdsOf(reports, 'jobClassified');
    expect(started.length).toBeGreaterThan(0);
    expect(started.length).toBeLessThan(images.length);
    expect(finished.sort()).toEqual([...started].sort());
    expect(reports.at(-1)?.kind).toBe('workerStopping');
    expect(await queues.requests.approximateCounts()).toEqual({
      visible: images.length - started.length,
      inFlight: 0,
      delayed: 0,
    });
    for (const jobId of finished) expect(await objects.head(objectKeys.output(jobId))).not.toBeNull();
    await Promise.all(Object.values(queues).map((q) => q.close()));
  }, 90_000);
});

describe('a worker busy longer than the visibility timeout', () => {
  const VISIBILITY_TIMEOUT_MS = 400;
  let dataDir: string;
  beforeAll(() => (dataDir = mkdtempSync(join(tmpdir(), 'visibility-'))));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('keeps the jobs in hand hidden from other consumers until it is done with them', async () => {
    // Large images (20 megapixels of noise): a batch of ten takes about three times the 400 ms
    // visibility timeout below on a quiet machine, and longer under load.
    const images = await largeImages(dataDir, 5);
    await enqueueImages(dataDir, images);
    // The other consumer below receives messages again and again: no dead-lettering here.
    const { queues } = openDataDir(dataDir, 1000);
    // Only the worker's extensions keep a batch hidden while it works.
    const worker = spawnWorker(dataDir, {
      WORKER_BATCH_SIZE: '10',
      VISIBILITY_TIMEOUT_MS: String(VISIBILITY_TIMEOUT_MS),
      MAX_ATTEMPTS: '1000',
    });
    const reports: WorkerReport[] = [];
    const stolen: string[] = [];
    await waitFor(
      'every job classified',
      async () => {
        await collectReports(queues, reports);
        const inHand = new Set(jobIdsOf(reports, 'jobStarted'));
        jobIdsOf(reports, 'jobClassified').forEach((id) => inHand.delete(id));
        // Another consumer: anything it can see must not be a job the worker holds. Give it back.
        for (const message of await queues.requests.receive({ maxMessages: 10 })) {
          const { jobId } = JSON.parse(message.body) as { jobId: string };
          if (inHand.has(jobId)) stolen.push(jobId);
          await queues.requests.changeVisibility(message.receiptHandle, 0);
        }
        return jobIdsOf(reports, 'jobClassified').length === images.length ? true : undefined;
      },
      60_000,
      20,
    );

    expect(stolen).toEqual([]);
    // The test means something only if batches really outlasted the visibility timeout.
    const batchMs = reports
      .filter((r) => r.kind === 'jobClassified')
      .map((r) => (r as { serviceMs: number }).serviceMs * 10);
    expect(Math.max(...batchMs)).toBeGreaterThan(VISIBILITY_TIMEOUT_MS);
    worker.child.kill('SIGTERM');
    expect(await worker.exit).toBe(0);
    await Promise.all(Object.values(queues).map((q) => q.close()));
  }, 90_000);
});

/** `count` distinct 5000×4000 JPEGs of noise, each used six times: slow to decode, quick to make. */
async function largeImages(dir: string, count: number): Promise<string[]> {
  const files: string[] = [];
  for (let i = 0; i < count; i++) {
    const file = join(dir, `large-${i}.jpg`);
    const jpeg = await sharp(randomBytes(5000 * 4000 * 3), {
      raw: { width: 5000, height: 4000, channels: 3 },
    })
      .jpeg({ quality: 90 })
      .toBuffer();
    writeFileSync(file, jpeg);
    files.push(file);
  }
  return Array.from({ length: count * 6 }, (_, i) => files[i % count]);
}
