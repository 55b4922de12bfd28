import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Client } from 'pg';
import { ControlPlaneProcess, freePort, waitFor } from './support/control-plane-process';
import { watchJobStream } from './support/job-stream';
import { datasetImages, defaultModelLabels } from './support/paths';
import { endLeaseSession } from './support/postgres-server';
import { SharedBackend, startSharedBackend } from './support/shared-backend';

interface JobPage {
  total: number;
  items: Array<{ id: string; status: string; topLabel?: string }>;
}

/** Uploads `files` to `plane` ten per request; the new jobs' ids. */
async function upload(plane: ControlPlaneProcess, files: string[]): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < files.length; i += 10) {
    const form = new FormData();
    for (const file of files.slice(i, i + 10))
      form.append('files', new Blob([readFileSync(file)]), basename(file));
    const response = await fetch(`${plane.url}/api/jobs`, { method: 'POST', body: form });
    expect(response.status).toBe(202);
    ids.push(...((await response.json()) as { jobs: Array<{ id: string }> }).jobs.map((job) => job.id));
  }
  return ids;
}

/** The course client's call: one image, the label as plain text once it is known. */
async function classifyAndWait(plane: ControlPlaneProcess, file: string): Promise<Response> {
  const form = new FormData();
  form.append('myfile', new Blob([readFileSync(file)]), basename(file));
  return fetch(`${plane.url}/`, { method: 'POST', body: form });
}

describe('several control planes on one log, one leading', () => {
  let backend: SharedBackend;
  let dataDirs: string[];
  let planes: ControlPlaneProcess[];

  beforeAll(async () => {
    backend = await startSharedBackend('eir-planes');
  }, 60_000);
  afterAll(() => backend?.stop());
  beforeEach(() => {
    dataDirs = [];
    planes = [];
  });
  afterEach(async () => {
    await Promise.all(planes.map((plane) => plane.stop('SIGKILL')));
    for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
  });

  /** A control plane on the shared backend, with a data folder (its checkpoint) of its own. */
  const plane = async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'plane-'));
    dataDirs.push(dataDir);
    const started = new ControlPlaneProcess(dataDir, await freePort(), {
      ...backend.env,
      MIN_WORKERS: '1',
      MAX_WORKERS: '2',
      LEADER_POLL_MS: '200',
      SCALING_PERIOD_MS: '200',
      SCALE_IN_STABILISATION_MS: '1000',
      COOLDOWN_MS: '1000',
      WORKER_IDLE_TIMEOUT_MS: '500',
    });
    planes.push(started);
    await started.start();
    return started;
  };

  it('serves and follows jobs on either; when the leader is killed, the other takes over and every job is reported once', async () => {
    const a = await plane();
    const b = await plane();
    expect([await a.role(), await b.role()]).toEqual(['leader', 'follower']);
    await a.workersRunning(1);

    // The waiting POST / on the follower learns the label the leader's worker found.
    const images = datasetImages('ilsvrc2012-val-sample');
    const labels = defaultModelLabels();
    const waited = await classifyAndWait(b, images[0]);
    expect(waited.status).toBe(200);
    expect(labels.has(await waited.text())).toBe(true);

    // Uploads on both; each job can be followed on the other, its page's stream included.
    const streamed = await watchJobStream(b.url);
    const ids = [...(await upload(a, images.slice(1, 21))), ...(await upload(b, images.slice(21, 41)))];
    for (const [on, id] of [
      [b, ids[0]],
      [a, ids.at(-1)!],
    ] as const) {
      expect((await fetch(`${on.url}/api/jobs/${id}`)).status).toBe(200);
    }

    await waitFor('the follower to stream a job uploaded on the leader, reported', async () =>
      streamed.jobs.some((job) => job.id === ids[0] && job.status === 'reported') ? true : undefined,
    );
    streamed.stop();

    // The leader dies mid-run; the follower takes the lead, and its workers, within 10 s.
    const killedAt = Date.now();
    await a.stop('SIGKILL');
    await waitFor(
      'the follower to lead',
      async () => ((await b.role()) === 'leader' ? true : undefined),
      10_000,
      20,
    );
    const takeoverMs = Date.now() - killedAt;
    console.log(`takeover: ${takeoverMs} ms after the leader was killed`);
    ids.push(...(await upload(b, images.slice(41, 61))));
    const afterTakeover = await classifyAndWait(b, images[61]);
    expect(afterTakeover.status).toBe(200);

    await waitFor(
      'all 62 jobs reported',
      async () => {
        const page = (await (await fetch(`${b.url}/api/jobs?status=reported&limit=1`)).json()) as JobPage;
        return page.total === 62 ? true : undefined;
      },
      180_000,
      200,
    );
    const page = (await (await fetch(`${b.url}/api/jobs?limit=100`)).json()) as JobPage;
    expect(page.items.filter((job) => ids.includes(job.id)).map((job) => job.status)).toEqual(
      ids.map(() => 'reported'),
    );

    // Exactly once: one JobReported per job in the log, whichever control plane appended it.
    const client = new Client({ connectionString: backend.databaseUrl });
    await client.connect();
    try {
      const { rows } = await client.query<{ reports: string; jobs: string }>(
        `SELECT count(*) AS reports, count(DISTINCT stream_id) AS jobs
           FROM ${backend.env.DATABASE_SCHEMA}.events WHERE type = 'JobReported'`,
      );
      expect(rows[0]).toEqual({ reports: '62', jobs: '62' });
    } finally {
      await client.end();
    }

    // The killed leader's workers are gone; the new leader keeps the one always-on worker.
    await waitFor(
      'the fleet back at one worker',
      async () => {
        const { workers } = (await (await fetch(`${b.url}/api/fleet`)).json()) as { workers: unknown[] };
        return workers.length === 1 ? true : undefined;
      },
      60_000,
      200,
    );
    expect(await b.stop('SIGTERM')).toBe(0);
  }, 300_000);

  it('makes a leader that loses its lease exit at once, and another take the lead', async () => {
    const a = await plane();
    const b = await plane();
    expect([await a.role(), await b.role()]).toEqual(['leader', 'follower']);
    // The server ends the leader's lease connection, as a network that failed between them would.
    expect(await endLeaseSession(backend.databaseUrl, backend.env.DATABASE_SCHEMA)).toBe(1);
    expect(await a.exit()).toBeNull();
    expect(await a.stop()).toBe(1);
    expect(a.output.join('')).toContain('Lost the lead');
    await waitFor(
      'the other to lead',
      async () => ((await b.role()) === 'leader' ? true : undefined),
      10_000,
      20,
    );
  }, 120_000);
});
