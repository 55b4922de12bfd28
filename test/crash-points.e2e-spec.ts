import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { readLocalEventLog } from '../src/adapters/local/local-adapters';
import { countPerStream } from '../src/events/read-whole-log';
import { ControlPlaneProcess, freePort, waitFor } from './support/control-plane-process';
import { datasetImages } from './support/paths';

/** The bound: after a restart, the service is whole again within this long. */
const RECOVERY_MS = 15_000;

/** Scaling settings under which a burst of uploads always needs a second worker, then gives it back. */
const ELASTIC = {
  MIN_WORKERS: '1',
  MAX_WORKERS: '2',
  ACCEPTABLE_LATENCY_MS: '1',
  EXPECTED_BOOT_MS: '1',
  SCALE_IN_STABILISATION_MS: '0',
  COOLDOWN_MS: '0',
  WORKER_IDLE_TIMEOUT_MS: '300',
};

const images = datasetImages('cse546-imagenet-100');

/** Uploads `files` in one request; resolves with the job ids, or undefined when the connection broke. */
async function upload(url: string, files: string[]): Promise<string[] | undefined> {
  const form = new FormData();
  for (const file of files)
    form.append('files', new Blob([readFileSync(file)], { type: 'image/jpeg' }), basename(file));
  try {
    const res = await fetch(`${url}/api/jobs`, { method: 'POST', body: form });
    if (res.status !== 202) throw new Error(`upload answered ${res.status}: ${await res.text()}`);
    return ((await res.json()) as { jobs: { id: string }[] }).jobs.map((job) => job.id);
  } catch (error) {
    if ((error as Error).message.startsWith('upload answered')) throw error;
    return undefined;
  }
}

interface CrashPoint {
  /** The value of `CRASH_AFTER_EVENT`. */
  after: string;
  /** Extra settings of the run that crashes (and of the one after it). */
  env?: Record<string, string>;
  /** Drives the service to the crash point: it must crash during this. */
  drive: (url: string) => Promise<void>;
}

/** Uploads small batches one after another until the connection breaks (the crash). */
async function uploadUntilCrash(url: string): Promise<void> {
  for (let i = 0; i < images.length; i += 4) {
    if ((await upload(url, images.slice(i, i + 4))) === undefined) return;
  }
}

const CRASH_POINTS: CrashPoint[] = [
  { after: 'JobUploaded', drive: uploadUntilCrash },
  { after: 'JobQueued', drive: uploadUntilCrash },
  { after: 'JobClassified', drive: uploadUntilCrash },
  // The first decision of a new service: it has no worker and the minimum is one.
  { after: 'ScalingDecided decision.action=scaleOut', drive: async () => undefined },
  { after: 'ScalingDecided decision.action=scaleIn', env: ELASTIC, drive: uploadUntilCrash },
  { after: 'WorkerTerminationRequested', env: ELASTIC, drive: uploadUntilCrash },
];

interface FleetView {
  workers: { state: string }[];
}

const workersUp = async (url: string) => {
  const { workers } = (await (await fetch(`${url}/api/fleet`)).json()) as FleetView;
  return workers.filter((w) => ['running', 'idle'].includes(w.state)).length;
};
const workersStarting = async (url: string) => {
  const { workers } = (await (await fetch(`${url}/api/fleet`)).json()) as FleetView;
  return workers.filter((w) => ['pending', 'terminating'].includes(w.state)).length;
};

describe('crash points: the control plane killed right after each kind of event', () => {
  let dataDir: string;
  beforeEach(() => (dataDir = mkdtempSync(join(tmpdir(), 'crash-point-'))));
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it.each(CRASH_POINTS.map((point) => [point.after, point] as const))(
    'after %s: back at MIN_WORKERS and healthy within 15 s of the restart, every accepted job reported once',
    async (_, point) => {
      const port = await freePort();
      const crashing = new ControlPlaneProcess(dataDir, port, {
        ...point.env,
        CRASH_AFTER_EVENT: point.after,
      });
      if (await crashing.startOrExit()) await point.drive(crashing.url);
      await waitFor('the crash', async () => (crashing.hasExited ? true : undefined), 30_000);
      expect(await crashing.exit()).toBe('SIGKILL');
      const type = point.after.split(' ')[0];
      expect((await readLocalEventLog(dataDir)).some((e) => e.type === type)).toBe(true);

      const restarted = new ControlPlaneProcess(dataDir, port, point.env);
      restarted.spawn();
      await waitFor(
        'the fleet back at MIN_WORKERS (1) and /health 200',
        async () => {
          const health = await fetch(`${restarted.url}/health`);
          const whole =
            health.status === 200 &&
            (await workersUp(restarted.url)) === 1 &&
            (await workersStarting(restarted.url)) === 0;
          return whole ? true : undefined;
        },
        RECOVERY_MS,
      );
      // The jobs accepted before the crash (and those of one more upload) all end reported.
      const accepted = await upload(restarted.url, images.slice(0, 2));
      expect(accepted).toHaveLength(2);
      await waitFor(
        'every accepted job to be reported',
        async () => {
          const events = await readLocalEventLog(dataDir);
          const uploaded = new Set(events.filter((e) => e.type === 'JobUploaded').map((e) => e.streamId));
          const reported = new Set(events.filter((e) => e.type === 'JobReported').map((e) => e.streamId));
          return [...uploaded].every((id) => reported.has(id)) ? true : undefined;
        },
        60_000,
        200,
      );
      expect(await restarted.stop('SIGTERM')).toBe(0);

      const events = await readLocalEventLog(dataDir);
      const perJob = (type: string) => countPerStream(events, type);
      const uploaded = [...perJob('JobUploaded').keys()];
      const classified = perJob('JobClassified');
      const reported = perJob('JobReported');
      expect(uploaded.filter((id) => classified.get(id) !== 1 || reported.get(id) !== 1)).toEqual([]);
    },
    120_000,
  );
});
