import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { localPaths } from '../src/adapters/local/local-adapters';
import { SqliteEventStore } from '../src/adapters/local/sqlite-event-store';
import { SystemClock } from '../src/clock/system-clock';
import { ControlPlaneProcess, freePort, waitFor } from './support/control-plane-process';
import { datasetImages } from './support/paths';

interface Fleet {
  workers: { id: string; state: string }[];
}

describe('autoscaling for real: worker processes follow the backlog', () => {
  let dataDir: string;
  beforeAll(() => (dataDir = mkdtempSync(join(tmpdir(), 'autoscale-'))));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('grows the fleet from 1 up to 4 for 200 images, then back to 1, and logs each decision', async () => {
    const plane = new ControlPlaneProcess(dataDir, await freePort(), { MAX_WORKERS: '4' });
    await plane.start();
    await plane.workersRunning(1);
    const fleet = async () => ((await (await fetch(`${plane.url}/api/fleet`)).json()) as Fleet).workers;
    expect(await fleet()).toHaveLength(1);

    const images = [
      ...datasetImages('ilsvrc2012-val-sample').slice(0, 100),
      ...datasetImages('cse546-imagenet-100'),
    ];
    for (let i = 0; i < images.length; i += 20) {
      const form = new FormData();
      for (const file of images.slice(i, i + 20))
        form.append('files', new Blob([readFileSync(file)]), basename(file));
      expect((await fetch(`${plane.url}/api/jobs`, { method: 'POST', body: form })).status).toBe(202);
    }
    let peak = 0;
    await waitFor(
      'all 200 jobs reported',
      async () => {
        peak = Math.max(peak, (await fleet()).length);
        const page = (await (await fetch(`${plane.url}/api/jobs?status=reported&limit=1`)).json()) as {
          total: number;
        };
        return page.total === 200 ? true : undefined;
      },
      120_000,
      50,
    );
    expect(peak).toBeGreaterThanOrEqual(2);
    expect(peak).toBeLessThanOrEqual(4);
    await waitFor(
      'the fleet back to the one always-on worker',
      async () => ((await fleet()).length === 1 ? true : undefined),
      60_000,
      200,
    );
    expect(await plane.stop('SIGTERM')).toBe(0);

    const store = new SqliteEventStore(localPaths(dataDir).events, new SystemClock());
    const decisions = (await store.readStream('controller')).filter((e) => e.type === 'ScalingDecided');
    const actions = decisions.map(
      (e) => (e.data as { decision: { action: string; reason: string } }).decision,
    );
    expect(actions.filter((d) => d.action === 'scaleOut').length).toBeGreaterThanOrEqual(2); // the minimum, then the burst
    const launched = (await store.readAll()).filter((e) => e.type === 'WorkerLaunchRequested').length;
    expect(launched).toBeGreaterThanOrEqual(peak);
    expect(actions.filter((d) => d.action === 'scaleIn')).toHaveLength(launched - 1); // one idle worker per step
    expect(actions.every((d) => d.reason.length > 0)).toBe(true);
    await store.close();
  }, 200_000);
});
