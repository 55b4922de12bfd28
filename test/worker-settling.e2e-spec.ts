import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { runInThisContext } from 'node:vm';
import type { OnnxClassifier } from '../src/classifier/onnx-classifier';
import { ManualClock } from '../src/clock/manual-clock';
import { SystemClock } from '../src/clock/system-clock';
import type { Clock } from '../src/ports/clock.port';
import { fetchModel } from '../src/models/model-fetcher';
import { DEFAULT_MODEL_ID, loadManifest } from '../src/models/model-manifest.loader';
import { objectKeys, WorkerReport } from '../src/pipeline/messages';
import { Queue } from '../src/ports/queue.port';
import { JobProcessor } from '../src/worker/job-processor';
import { WorkerReporter } from '../src/worker/worker-reporter';
import { waitFor } from './support/control-plane-process';
import { datasetImages, REPO_ROOT } from './support/paths';
import { collectReports, enqueueImages, jobIdsOf, openDataDir } from './support/standalone-worker';

// See classifier-accuracy.e2e-spec.ts: onnxruntime-common's instanceof checks need the main realm's Float32Array.
globalThis.Float32Array = runInThisContext('Float32Array') as Float32ArrayConstructor;

/** The request queue with its deletes held until `release` (or failed with `fail`), and the visibility extensions it was asked for. */
function withHeldDeletes(requests: Queue) {
  let release!: () => void;
  let fail!: (error: Error) => void;
  const gate = new Promise<void>((resolve, reject) => ((release = resolve), (fail = reject)));
  gate.catch(() => undefined);
  const asked: string[][] = [];
  const extended: string[] = [];
  const queue = new Proxy(requests, {
    get(target, property) {
      if (property === 'changeVisibility')
        return (handle: string, timeoutMs: number) => {
          extended.push(handle);
          return target.changeVisibility(handle, timeoutMs);
        };
      if (property === 'deleteBatch')
        return async (handles: string[]) => {
          asked.push([...handles]);
          await gate;
          return target.deleteBatch(handles);
        };
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { queue, asked, extended, release, fail };
}

describe('a worker settling a classified batch (its results on disk, then its requests deleted)', () => {
  let dataDir: string;
  let classifier: OnnxClassifier;

  beforeAll(async () => {
    const { OnnxClassifier } = await import('../src/classifier/onnx-classifier');
    const manifest = await loadManifest(path.join(REPO_ROOT, 'models'), DEFAULT_MODEL_ID);
    classifier = await OnnxClassifier.load(await fetchModel(manifest, { repoRoot: REPO_ROOT }), {
      intraOpNumThreads: 1,
    });
  });
  afterAll(() => classifier?.release());
  beforeEach(() => (dataDir = mkdtempSync(path.join(tmpdir(), 'settling-'))));
  let opened: ReturnType<typeof openDataDir>;
  afterEach(async () => {
    await Promise.all(Object.values(opened.queues).map((queue) => queue.close()));
    await opened.objects.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** `images` jobs queued, and a processor over a request queue whose deletes are held. */
  async function withJobs(images: number, clock: Clock = new SystemClock()) {
    await enqueueImages(dataDir, datasetImages('ilsvrc2012-val-sample').slice(0, images));
    opened = openDataDir(dataDir);
    const deletes = withHeldDeletes(opened.queues.requests);
    const reporter = new WorkerReporter(opened.queues.responses, 'w-test', clock);
    const processor = new JobProcessor(
      deletes.queue,
      opened.objects,
      classifier,
      reporter,
      clock,
      30_000,
      120_000,
    );
    return { deletes, processor };
  }

  it('takes the next batch before the last one settles, and reports it only once that one has', async () => {
    const { deletes, processor } = await withJobs(8);

    // The first batch's call returns while its deletes are held.
    await processor.process(await opened.queues.requests.receive({ maxMessages: 4 }));
    await waitFor(
      'the first batch to ask for its deletes',
      async () => deletes.asked.length === 1 || undefined,
    );

    const secondBatch = await opened.queues.requests.receive({ maxMessages: 4 });
    let secondReturned = false;
    const second = processor.process(secondBatch).then(() => (secondReturned = true));
    const secondJobs = ['job4', 'job5', 'job6', 'job7'];
    await waitFor('the second batch classified (its outputs written)', async () => {
      const outputs = await Promise.all(
        secondJobs.map((jobId) => opened.objects.head(objectKeys.output(jobId))),
      );
      return outputs.every((output) => output !== null) || undefined;
    });
    // At most one batch settles behind the one classifying: the second waits before it reports.
    const reports: WorkerReport[] = [];
    await collectReports(opened.queues, reports);
    expect(jobIdsOf(reports, 'jobClassified')).toEqual(['job0', 'job1', 'job2', 'job3']);
    expect(secondReturned).toBe(false);
    expect(await opened.queues.requests.approximateCounts()).toMatchObject({ visible: 0, inFlight: 8 });

    deletes.release();
    await second;
    await processor.settled();
    await collectReports(opened.queues, reports);
    expect(jobIdsOf(reports, 'jobClassified')).toEqual(['job0', 'job1', 'job2', 'job3', ...secondJobs]);
    expect(await opened.queues.requests.approximateCounts()).toMatchObject({ visible: 0, inFlight: 0 });
  }, 60_000);

  it('keeps the requests of a settling batch hidden until it has settled', async () => {
    const clock = new ManualClock();
    const { deletes, processor } = await withJobs(2, clock);
    const batch = await opened.queues.requests.receive({ maxMessages: 2 });
    await processor.process(batch);
    await waitFor('the batch to ask for its deletes', async () => deletes.asked.length === 1 || undefined);

    clock.advance(10_000); // a third of the visibility timeout
    expect(deletes.extended.sort()).toEqual(batch.map((m) => m.receiptHandle).sort());

    deletes.release();
    await processor.settled();
    clock.advance(10_000);
    expect(deletes.extended).toHaveLength(2);
  }, 60_000);

  it('leaves the requests of a batch it could not settle to come back', async () => {
    const { deletes, processor } = await withJobs(2);

    await processor.process(await opened.queues.requests.receive({ maxMessages: 2 }));
    deletes.fail(new Error('the queue is unreachable'));
    await processor.settled();
    expect(deletes.asked).toHaveLength(1);
    expect(await opened.queues.requests.approximateCounts()).toMatchObject({ visible: 0, inFlight: 2 });
  }, 60_000);
});
