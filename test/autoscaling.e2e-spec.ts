import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { ScalingDecision } from '../state-machines/scaling-policy';
import { localPaths } from '../src/adapters/local/local-adapters';
import { SqliteEventStore } from '../src/adapters/local/sqlite-event-store';
import { SystemClock } from '../src/clock/system-clock';
import { ControlPlaneProcess, freePort, waitFor } from './support/control-plane-process';
import { datasetImages } from './support/paths';

interface Fleet {
  workers: { id: string; state: string }[];
}

const SCALE_IN_STABILISATION_MS = 1_000;

describe('autoscaling for real: worker processes follow the backlog', () => {
  let dataDir: string;
  beforeAll(() => (dataDir = mkdtempSync(join(tmpdir(), 'autoscale-'))));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('grows the fleet from 1 to the maximum of 4 while a backlog waits, then back to 1, and logs each decision with its inputs', async () => {
    // An acceptable latency of 1 ms (and a 1 ms boot) makes any waiting job more than the fleet
    // drains in time, however fast this machine classifies: every tick that sees a backlog scales
    // out, so the fleet reaches its maximum whether one tick or several see the uploads.
    const plane = new ControlPlaneProcess(dataDir, await freePort(), {
      MAX_WORKERS: '4',
      ACCEPTABLE_LATENCY_MS: '1',
      EXPECTED_BOOT_MS: '1',
      SCALING_PERIOD_MS: '100',
      SCALE_IN_STABILISATION_MS: String(SCALE_IN_STABILISATION_MS),
      COOLDOWN_MS: '1000',
      WORKER_IDLE_TIMEOUT_MS: '500',
    });
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
    await waitFor(
      'all 200 jobs reported',
      async () => {
        const page = (await (await fetch(`${plane.url}/api/jobs?status=reported&limit=1`)).json()) as {
          total: number;
        };
        return page.total === 200 ? true : undefined;
      },
      120_000,
      50,
    );
    await waitFor(
      'the fleet back to the one always-on worker',
      async () => ((await fleet()).length === 1 ? true : undefined),
      60_000,
      200,
    );
    expect(await plane.stop('SIGTERM')).toBe(0);

    const store = new SqliteEventStore(localPaths(dataDir).events, new SystemClock());
    const decisions = (await store.readStream('controller'))
      .filter((e) => e.type === 'ScalingDecided')
      .map((e) => (e.data as unknown as { decision: ScalingDecision }).decision);
    const launched = (await store.readAll()).filter((e) => e.type === 'WorkerLaunchRequested').length;
    await store.close();
    const [minimum, ...rest] = decisions.filter((d) => d.action === 'scaleOut');
    const scaleIns = decisions.filter((d) => d.action === 'scaleIn');

    expect(minimum).toMatchObject({ launch: 1, desired: 1, capacity: 0 });
    expect(minimum.reason).toContain('below the minimum of 1');
    // The burst: every scale-out saw jobs waiting that the fleet could not drain within the latency.
    expect(rest.length).toBeGreaterThanOrEqual(1);
    for (const burst of rest) {
      expect(burst.inputs.visible + burst.inputs.inFlight).toBeGreaterThan(0);
      expect(burst.derived.leftAtLatency).toBeGreaterThan(0);
      expect(burst.reason).toContain('would be left after the acceptable');
    }
    expect(rest.reduce((sum, d) => sum + d.launch, 0)).toBe(3);
    expect(rest.at(-1)!.desired).toBe(4);
    expect(launched).toBe(4);
    // Back down one idle worker per step, never a busy one: each idle for the stabilisation window,
    // or idle with nothing queued and nothing uploaded for a minute (the burst is over).
    expect(scaleIns).toHaveLength(3);
    for (const step of scaleIns) {
      expect(step.terminate).toHaveLength(1);
      const stopped = step.inputs.idleWorkers.find((w) => w.id === step.terminate[0])!;
      const burstOver = step.inputs.visible + step.inputs.inFlight === 0 && step.inputs.arrivalsPerS === 0;
      expect(stopped.idleForMs >= SCALE_IN_STABILISATION_MS || burstOver).toBe(true);
      expect(step.reason).toContain('stop 1 idle');
    }
    expect(scaleIns.at(-1)!.desired).toBe(1);
  }, 200_000);
});
