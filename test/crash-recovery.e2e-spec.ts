import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { readLocalEventLog } from '../src/adapters/local/local-adapters';
import { countPerStream } from '../src/events/read-whole-log';
import { ControlPlaneProcess, freePort, waitFor } from './support/control-plane-process';
import { datasetImages } from './support/paths';

async function upload(url: string, files: string[]): Promise<string[]> {
  const form = new FormData();
  for (const file of files)
    form.append('files', new Blob([readFileSync(file)], { type: 'image/jpeg' }), basename(file));
  const res = await fetch(`${url}/api/jobs`, { method: 'POST', body: form });
  if (res.status !== 202) throw new Error(`upload answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { jobs: { id: string }[] }).jobs.map((job) => job.id);
}

const reportedCount = async (url: string) =>
  ((await (await fetch(`${url}/api/jobs?status=reported&limit=1`)).json()) as { total: number }).total;

describe('a control plane killed with SIGKILL in the middle of a run', () => {
  let dataDir: string;
  beforeAll(() => (dataDir = mkdtempSync(join(tmpdir(), 'crash-'))));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('loses no accepted job and reports each exactly once after a restart', async () => {
    const images = [
      ...datasetImages('cse546-imagenet-100'),
      ...datasetImages('ilsvrc2012-val-sample').slice(0, 100),
    ];
    const port = await freePort();
    const first = new ControlPlaneProcess(dataDir, port, { MAX_WORKERS: '2' });
    await first.start();
    await first.workersRunning(1);

    const accepted: string[] = [];
    for (let i = 0; i < images.length; i += 10)
      accepted.push(...(await upload(first.url, images.slice(i, i + 10))));
    expect(accepted).toHaveLength(200);
    // Killed the moment the last upload is answered: its jobs cannot all have been classified and
    // reported yet, however fast this machine is, while earlier ones have been.
    await first.stop('SIGKILL');
    const reportedAtCrash = new Set(
      (await readLocalEventLog(dataDir)).filter((e) => e.type === 'JobReported').map((e) => e.streamId),
    );
    expect(reportedAtCrash.size).toBeGreaterThan(0);
    expect(reportedAtCrash.size).toBeLessThan(200);

    const second = new ControlPlaneProcess(dataDir, port, { MAX_WORKERS: '2' });
    await second.start();
    await waitFor(
      'all 200 jobs to be reported',
      async () => ((await reportedCount(second.url)) === 200 ? true : undefined),
      120_000,
      200,
    );
    expect(await second.stop('SIGTERM')).toBe(0);

    const events = await readLocalEventLog(dataDir);
    const count = (type: string) => countPerStream(events, type);
    const uploaded = count('JobUploaded');
    const reported = count('JobReported');
    expect([...uploaded.keys()].sort()).toEqual(accepted.map((id) => `job-${id}`).sort());
    expect(accepted.filter((id) => reported.get(`job-${id}`) !== 1)).toEqual([]);
    expect(accepted.filter((id) => count('JobClassified').get(`job-${id}`) !== 1)).toEqual([]);
  }, 240_000);
});

describe('a second control plane started on the same data folder', () => {
  let dataDir: string;
  beforeAll(() => (dataDir = mkdtempSync(join(tmpdir(), 'second-plane-'))));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('exits at once with a reason, before its host starts, while the first goes on', async () => {
    const first = new ControlPlaneProcess(dataDir, await freePort());
    await first.start();
    await first.workersRunning(1);

    const second = new ControlPlaneProcess(dataDir, await freePort());
    second.spawn();
    expect(await second.exit()).toBeNull();
    expect(await second.stop()).toBe(1);
    const output = second.output.join('');
    expect(output).toContain('Another control plane is running on this data folder');
    expect(output).not.toContain('rebuilt the actors');

    // Nothing of a second controller or fleet in the log: one start, one worker launched.
    const types = (await readLocalEventLog(dataDir)).map((event) => event.type);
    expect(types.filter((type) => type === 'ControllerStarted')).toHaveLength(1);
    expect(types.filter((type) => type === 'WorkerLaunchRequested')).toHaveLength(1);
    expect((await fetch(`${first.url}/api/fleet`)).ok).toBe(true);
    expect(await first.stop()).toBe(0);
  });
});
