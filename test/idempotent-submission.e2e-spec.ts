import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { ControlPlaneProcess, freePort } from './support/control-plane-process';
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
