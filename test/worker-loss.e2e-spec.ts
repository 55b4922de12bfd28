import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { ControlPlaneProcess, freePort, waitFor } from './support/control-plane-process';
import { datasetImages } from './support/paths';
import { openDataDir } from './support/standalone-worker';

interface WorkerView {
  id: string;
  state: string;
  jobsInHand: string[];
  jobsDone: number;
  stopReason?: string;
}

/** The pid of the worker process launched for `workerId` (found by its environment). */
function pidOfWorker(workerId: string): number {
  for (const entry of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      if (readFileSync(`/proc/${entry}/environ`, 'latin1').split('\0').includes(`WORKER_ID=${workerId}`))
        return Number(entry);
    } catch {
      // processes come and go while we look
    }
  }
  throw new Error(`no process for worker ${workerId}`);
}

describe('a worker that dies holding jobs', () => {
  let dataDir: string;
  beforeAll(() => (dataDir = mkdtempSync(join(tmpdir(), 'loss-'))));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('loses nothing: it is marked lost, a replacement is launched, and its jobs are released at once and reported once', async () => {
    // Far longer than the test may take: the held jobs can only come back because the control
    // plane releases them when the worker's exit is known, not because their visibility lapsed.
    const plane = new ControlPlaneProcess(dataDir, await freePort(), {
      MIN_WORKERS: '1',
      MAX_WORKERS: '1',
      WORKER_BATCH_SIZE: '10',
      VISIBILITY_TIMEOUT_MS: '600000',
    });
    await plane.start();
    await plane.workersRunning(1);
    const fleet = async (all = false) =>
      ((await (await fetch(`${plane.url}/api/fleet?all=${all}`)).json()) as { workers: WorkerView[] })
        .workers;
    const { queues } = openDataDir(dataDir);
    const [victim] = await fleet();
    const pid = pidOfWorker(victim.id);

    const form = new FormData();
    const images = datasetImages('ilsvrc2012-val-sample').slice(0, 40);
    for (const file of images) form.append('files', new Blob([readFileSync(file)]), basename(file));
    const accepted = (
      (await (await fetch(`${plane.url}/api/jobs`, { method: 'POST', body: form })).json()) as {
        jobs: { id: string }[];
      }
    ).jobs;
    expect(accepted).toHaveLength(40);

    // Freeze the worker the moment it holds jobs; if its reports then show the batch finished, let it go on and try again.
    let held: string[] = [];
    for (let tries = 0; held.length === 0 && tries < 20; tries++) {
      await waitFor(
        'the worker to hold jobs',
        async () => ((await fleet())[0]?.jobsInHand.length ? true : undefined),
        30_000,
        5,
      );
      process.kill(pid, 'SIGSTOP');
      // Reports the worker sent before it froze are recorded once the control plane has consumed them.
      await waitFor(
        'the reports already sent to be consumed',
        async () => {
          const { visible, inFlight } = await queues.responses.approximateCounts();
          return visible + inFlight === 0 ? true : undefined;
        },
        30_000,
        10,
      );
      held = (await fleet()).find((w) => w.id === victim.id)?.jobsInHand ?? [];
      if (held.length === 0) process.kill(pid, 'SIGCONT');
    }
    expect(held.length).toBeGreaterThan(0);
    process.kill(pid, 'SIGKILL');

    await waitFor(
      'all 40 jobs reported',
      async () => {
        const page = (await (await fetch(`${plane.url}/api/jobs?status=reported&limit=1`)).json()) as {
          total: number;
        };
        return page.total === 40 ? true : undefined;
      },
      60_000,
      100,
    );

    const workers = await fleet(true);
    expect(workers.find((w) => w.id === victim.id)).toMatchObject({ stopReason: 'exited unasked' });
    expect(['lost', 'terminated']).toContain(workers.find((w) => w.id === victim.id)!.state);
    const replacement = workers.find((w) => w.id !== victim.id);
    expect(replacement).toMatchObject({ state: expect.stringMatching(/running|idle/) });
    expect(replacement!.jobsDone).toBeGreaterThanOrEqual(held.length);

    for (const jobId of held) {
      const events = (await (await fetch(`${plane.url}/api/jobs/${jobId}/events`)).json()) as {
        type: string;
        data: { workerId?: string };
      }[];
      expect(events.filter((e) => e.type === 'JobReported')).toHaveLength(1);
      expect(events.filter((e) => e.type === 'JobAttemptStarted').map((e) => e.data.workerId)).toEqual([
        victim.id,
        replacement!.id,
      ]);
    }
    expect(await plane.stop('SIGTERM')).toBe(0);
    await Promise.all(Object.values(queues).map((q) => q.close()));
  }, 120_000);
});
