import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { localPaths } from '../src/adapters/local/local-adapters';
import { decodeMessage, objectKeys, WorkerReport, WorkerReportsSchema } from '../src/pipeline/messages';
import { waitFor } from './support/control-plane-process';
import { datasetImages } from './support/paths';
import { enqueueImages, openDataDir, spawnWorker } from './support/standalone-worker';

type Queues = ReturnType<typeof openDataDir>['queues'];

/** Takes the worker's report messages off the response queue, each message's reports apart. */
async function collectMessages(queues: Queues, into: WorkerReport[][]): Promise<void> {
  for (const message of await queues.responses.receive({ maxMessages: 10 })) {
    into.push(decodeMessage(WorkerReportsSchema, message.body).reports);
    await queues.responses.delete(message.receiptHandle);
  }
}

const jobsOf = (reports: WorkerReport[], kind: WorkerReport['kind']) =>
  reports.filter((r) => r.kind === kind).map((r) => (r as { jobId: string }).jobId);

describe('the jobs one worker receives together', () => {
  let dataDir: string;
  beforeEach(() => (dataDir = mkdtempSync(join(tmpdir(), 'batches-'))));
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('classifies a redelivered job alone, so a poison image costs its batch-mates nothing', async () => {
    await enqueueImages(dataDir, datasetImages('ilsvrc2012-val-sample').slice(0, 4));
    const { queues } = openDataDir(dataDir);
    // job0 was received once already (by a worker that then died): it comes back with receiveCount 2.
    const [first] = await queues.requests.receive({ maxMessages: 1 });
    await queues.requests.changeVisibility(first.receiptHandle, 0);
    const redeliveredJob = (JSON.parse(first.body) as { jobId: string }).jobId;

    const worker = spawnWorker(dataDir, { WORKER_BATCH_SIZE: '4' });
    const messages: WorkerReport[][] = [];
    await waitFor(
      'all four jobs classified',
      async () => {
        await collectMessages(queues, messages);
        return messages.flatMap((m) => jobsOf(m, 'jobClassified')).length === 4 ? true : undefined;
      },
      60_000,
      10,
    );
    worker.child.kill('SIGTERM');
    expect(await worker.exit).toBe(0);

    // Received in one batch (their start reports travel together) ...
    const started = messages.find((m) => jobsOf(m, 'jobStarted').includes(redeliveredJob))!;
    expect(jobsOf(started, 'jobStarted').sort()).toEqual(['job0', 'job1', 'job2', 'job3']);
    // ... and classified in two: the first deliveries together, the redelivered one after, alone.
    const classified = messages.map((m) => jobsOf(m, 'jobClassified')).filter((jobs) => jobs.length > 0);
    expect(classified).toEqual([['job1', 'job2', 'job3'], [redeliveredJob]]);
  }, 90_000);

  it('gives up a batch that outlives its deadline: its jobs are reported failed and come back at once', async () => {
    await enqueueImages(dataDir, datasetImages('ilsvrc2012-val-sample').slice(0, 2));
    const { queues } = openDataDir(dataDir);
    // No inference finishes within a millisecond of the receive; and only a release, never the
    // visibility timeout, can bring a message back within this test.
    const worker = spawnWorker(dataDir, {
      WORKER_BATCH_SIZE: '2',
      BATCH_DEADLINE_MS: '1',
      VISIBILITY_TIMEOUT_MS: '600000',
    });
    const messages: WorkerReport[][] = [];
    const secondAttempts = () =>
      messages
        .flat()
        .filter((r) => r.kind === 'jobStarted' && r.attempt === 2)
        .map((r) => (r as { jobId: string }).jobId);
    await waitFor(
      'both jobs received a second time',
      async () => {
        await collectMessages(queues, messages);
        return secondAttempts().length >= 2 ? true : undefined;
      },
      60_000,
      10,
    );
    worker.child.kill('SIGKILL');
    await worker.exit;
    expect(secondAttempts().sort()).toEqual(['job0', 'job1']);
    const firstFailures = messages
      .flat()
      .filter((r) => r.kind === 'jobFailed')
      .slice(0, 2);
    expect(
      firstFailures.map((r) => [(r as { jobId: string }).jobId, (r as { reason: string }).reason]).sort(),
    ).toEqual([
      ['job0', 'the batch took longer than 1 ms; given up'],
      ['job1', 'the batch took longer than 1 ms; given up'],
    ]);
  }, 90_000);

  it('leaves a job whose output could not be written for another delivery, which writes it', async () => {
    await enqueueImages(dataDir, datasetImages('ilsvrc2012-val-sample').slice(0, 2));
    const { queues, objects } = openDataDir(dataDir);
    // Another writer holds the object store's write lock: the worker reads its inputs, but each
    // output write waits out its busy timeout and fails.
    const writer = new Database(localPaths(dataDir).objects);
    writer.exec('BEGIN IMMEDIATE');
    const worker = spawnWorker(dataDir, { WORKER_BATCH_SIZE: '2', VISIBILITY_TIMEOUT_MS: '1000' });
    const messages: WorkerReport[][] = [];
    const reports = () => messages.flat();
    const classified = () => reports().filter((r) => r.kind === 'jobClassified');
    await waitFor(
      'both jobs reported classified',
      async () => {
        await collectMessages(queues, messages);
        return classified().length >= 2 ? true : undefined;
      },
      60_000,
      10,
    );
    // Reported, yet not deleted: their requests are still on the queue...
    const counts = await queues.requests.approximateCounts();
    expect(counts.visible + counts.inFlight).toBe(2);
    // The writes failed before the results were reported (each waited out its busy timeout first):
    // the next delivery may write.
    writer.exec('ROLLBACK');
    writer.close();
    // ...and delivered again once the writes failed (no delivery comes back before its batch ended).
    await waitFor(
      'a job received a second time',
      async () => {
        await collectMessages(queues, messages);
        return reports().some((r) => r.kind === 'jobStarted' && r.attempt === 2) ? true : undefined;
      },
      60_000,
      10,
    );
    await waitFor(
      'both outputs written and both requests deleted',
      async () => {
        await collectMessages(queues, messages);
        const left = await queues.requests.approximateCounts();
        const written = await Promise.all(['job0', 'job1'].map((id) => objects.head(objectKeys.output(id))));
        return left.visible + left.inFlight === 0 && written.every(Boolean) ? true : undefined;
      },
      60_000,
      10,
    );
    worker.child.kill('SIGTERM');
    expect(await worker.exit).toBe(0);
    expect(jobsOf(reports(), 'jobClassified').sort()).toEqual(['job0', 'job0', 'job1', 'job1']);
    await Promise.all(Object.values(queues).map((q) => q.close()));
    await objects.close();
  }, 90_000);

  it('refuses an image over MAX_IMAGE_PIXELS itself, whatever the control plane let through', async () => {
    await enqueueImages(dataDir, datasetImages('ilsvrc2012-val-sample').slice(0, 1));
    const { queues } = openDataDir(dataDir);
    const worker = spawnWorker(dataDir, { MAX_IMAGE_PIXELS: '1000' });
    const messages: WorkerReport[][] = [];
    await waitFor(
      'the job refused',
      async () => {
        await collectMessages(queues, messages);
        return messages.flat().some((r) => r.kind === 'jobRejected') ? true : undefined;
      },
      60_000,
      10,
    );
    worker.child.kill('SIGTERM');
    expect(await worker.exit).toBe(0);
    const rejected = messages.flat().find((r) => r.kind === 'jobRejected') as {
      jobId: string;
      reason: string;
    };
    expect(rejected).toMatchObject({ jobId: 'job0', reason: expect.stringContaining('exceeds pixel limit') });
    expect(messages.flat().some((r) => r.kind === 'jobClassified')).toBe(false);
  }, 90_000);
});
