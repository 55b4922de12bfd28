import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { JOB } from '../src/actors/actor-kinds';
import { fingerprintFiles, submissionJobId } from '../src/jobs/submissions';
import { EventStore } from '../src/ports/event-store.port';
import { ControlPlaneProcess, freePort } from './support/control-plane-process';
import { InProcessService, startInProcessService } from './support/in-process-service';
import { datasetImages } from './support/paths';

async function submit(url: string, key: string, files: string[]): Promise<Response> {
  const form = new FormData();
  for (const file of files) form.append('files', new Blob([readFileSync(file)]), basename(file));
  return fetch(`${url}/api/jobs`, { method: 'POST', body: form, headers: { 'idempotency-key': key } });
}

describe('a submission retried with its Idempotency-Key after the control plane was killed', () => {
  let dataDir: string;
  beforeAll(() => (dataDir = mkdtempSync(join(tmpdir(), 'idempotent-'))));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('answers with the jobs the first try created, and creates none', async () => {
    const files = datasetImages('ilsvrc2012-val-sample').slice(0, 5);
    const port = await freePort();
    const first = new ControlPlaneProcess(dataDir, port);
    await first.start();
    const answered = await submit(first.url, 'batch-2026-12-01', files);
    expect(answered.status).toBe(202);
    const accepted = (await answered.json()) as { jobs: { id: string }[] };
    await first.stop('SIGKILL');

    const second = new ControlPlaneProcess(dataDir, port);
    await second.start();
    const retried = await submit(second.url, 'batch-2026-12-01', files);

    expect(retried.status).toBe(202);
    expect(retried.headers.get('idempotent-replayed')).toBe('true');
    expect(await retried.json()).toEqual(accepted);
    const page = (await (await fetch(`${second.url}/api/jobs?limit=1`)).json()) as { total: number };
    expect(page.total).toBe(5);
    expect(await second.stop('SIGTERM')).toBe(0);
  }, 60_000);
});

describe('a submission that another control plane is recording at the same moment', () => {
  let service: InProcessService;
  beforeAll(async () => (service = await startInProcessService('idempotent-race', { minWorkers: 0 })));
  afterAll(() => service.close());

  it('names the same jobs, and the log keeps one of each', async () => {
    const key = 'batch-raced';
    const paths = datasetImages('ilsvrc2012-val-sample').slice(0, 3);
    const files = paths.map((path) => {
      const buffer = readFileSync(path);
      return { originalname: basename(path), buffer, size: buffer.length };
    });
    const fingerprint = await fingerprintFiles(files);
    // The other control plane recorded the first file's job; this one has not folded that yet
    // (a log on SQLite is never followed, so it never will): only the log can tell it.
    const store = service.app.get(EventStore);
    const first = submissionJobId(key, fingerprint, 0);
    await store.append(
      JOB.streamId(first),
      [
        {
          type: 'JobUploaded',
          data: {
            jobId: first,
            fileName: files[0].originalname,
            contentType: 'image/jpeg',
            sizeBytes: files[0].size,
            maxAttempts: 3,
            submission: { key, fingerprint, index: 0 },
            at: Date.now(),
          },
        },
      ],
      'no_stream',
    );

    const answered = await submit(service.url, key, paths);

    expect(answered.status).toBe(202);
    expect(answered.headers.get('idempotent-replayed')).toBe('true');
    const ids = files.map((_, i) => submissionJobId(key, fingerprint, i));
    expect(((await answered.json()) as { jobs: { id: string }[] }).jobs.map((job) => job.id)).toEqual(ids);
    for (const id of ids) {
      const uploads = (await store.readStream(JOB.streamId(id))).filter((e) => e.type === 'JobUploaded');
      expect(uploads).toHaveLength(1);
    }
  });
});
