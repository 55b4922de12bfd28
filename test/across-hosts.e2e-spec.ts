import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Client } from 'pg';
import { ControlPlaneProcess, waitFor } from './support/control-plane-process';
import { datasetImages } from './support/paths';
import { makeSandboxNetwork, SandboxNetwork, whyNoNamespaces } from './support/sandbox-network';
import { SharedBackend, startSharedBackend } from './support/shared-backend';

const JOBS = 500;
const MIN_WORKERS = 1;
const noNamespaces = whyNoNamespaces();

/** Uploads `files` to `plane` in one request; the new jobs' ids, or undefined if the plane is gone. */
async function upload(plane: ControlPlaneProcess, files: string[]): Promise<string[] | undefined> {
  const form = new FormData();
  for (const file of files) form.append('files', new Blob([readFileSync(file)]), basename(file));
  const response = await fetch(`${plane.url}/api/jobs`, { method: 'POST', body: form }).catch(
    () => undefined,
  );
  if (!response) return undefined;
  expect(response.status).toBe(202);
  return ((await response.json()) as { jobs: Array<{ id: string }> }).jobs.map((job) => job.id);
}

// Hosts made of network namespaces: PostgreSQL on one, a control plane with its workers on each
// of two others, the S3- and SQS-compatible servers on the test's own; all on a private network.
(noNamespaces ? describe.skip : describe)(
  `the service across hosts${noNamespaces ? ` (skipped: ${noNamespaces})` : ''}`,
  () => {
    let network: SandboxNetwork;
    let backend: SharedBackend;
    const planes: ControlPlaneProcess[] = [];
    const dataDirs: string[] = [];

    beforeAll(async () => {
      network = makeSandboxNetwork(['db', 'a', 'b']);
      backend = await startSharedBackend('eir-hosts', {
        postgres: { ...network.hosts.db, allowFrom: network.cidr },
        services: network.testAddress,
      });
    }, 60_000);
    afterAll(async () => {
      await Promise.all(planes.map((plane) => plane.stop('SIGKILL')));
      await backend?.stop();
      network?.remove();
      for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
    });

    const plane = async (host: 'a' | 'b') => {
      const dataDir = mkdtempSync(join(tmpdir(), `host-${host}-`));
      dataDirs.push(dataDir);
      const started = new ControlPlaneProcess(
        dataDir,
        3000,
        {
          ...backend.env,
          // A network of the test's own, which nothing else reaches.
          ALLOW_ANONYMOUS: 'true',
          MIN_WORKERS: String(MIN_WORKERS),
          MAX_WORKERS: '2',
          SCALING_PERIOD_MS: '200',
          SCALE_IN_STABILISATION_MS: '1000',
          COOLDOWN_MS: '1000',
          WORKER_IDLE_TIMEOUT_MS: '500',
        },
        network.hosts[host],
      );
      planes.push(started);
      await started.start();
      return started;
    };

    it(`classifies ${JOBS} images uploaded to two control planes, each job reported once, though the leader is killed midway`, async () => {
      const a = await plane('a');
      const b = await plane('b');
      expect([await a.role(), await b.role()]).toEqual(['leader', 'follower']);
      const files = [...datasetImages('ilsvrc2012-val-sample'), ...datasetImages('cse546-imagenet-100')];
      const images = Array.from({ length: JOBS }, (_, i) => files[i % files.length]);

      // Ten per request, to either control plane in turn, as a load balancer would; after half,
      // the leader is killed, and the requests it can no longer take go to the other.
      const ids: string[] = [];
      let takeover: Promise<number> | undefined;
      for (let i = 0, turn = 0; i < JOBS; i += 10, turn++) {
        if (i === JOBS / 2) {
          await a.stop('SIGKILL');
          const killedAt = Date.now();
          // Watched while the uploads go on; reported, not bounded here (the issue's 10 s bound
          // is the other test's, on a machine not also busy with uploads).
          takeover = waitFor(
            'the follower to lead',
            async () => ((await b.role()) === 'leader' ? Date.now() - killedAt : undefined),
            60_000,
            20,
          );
        }
        const batch = images.slice(i, i + 10);
        const to = takeover === undefined && turn % 2 === 0 ? a : b;
        ids.push(...((await upload(to, batch)) ?? (await upload(b, batch))!));
      }
      expect(new Set(ids).size).toBe(JOBS);
      console.log(`takeover: the follower led ${await takeover!} ms after the leader was killed`);

      await waitFor(
        `all ${JOBS} jobs reported`,
        async () => {
          const page = (await (await fetch(`${b.url}/api/jobs?status=reported&limit=1`)).json()) as {
            total: number;
          };
          return page.total === JOBS ? true : undefined;
        },
        240_000,
        250,
      );
      const client = new Client({ connectionString: backend.databaseUrl });
      await client.connect();
      try {
        const { rows } = await client.query<{ stream_id: string; reports: string }>(
          `SELECT stream_id, count(*) FILTER (WHERE type = 'JobReported') AS reports
             FROM ${backend.env.DATABASE_SCHEMA}.events WHERE stream_id LIKE 'job-%' GROUP BY stream_id`,
        );
        expect(rows.map((row) => row.stream_id).sort()).toEqual(ids.map((id) => `job-${id}`).sort());
        expect(rows.filter((row) => row.reports !== '1')).toEqual([]);
      } finally {
        await client.end();
      }

      await waitFor(
        `the fleet back at ${MIN_WORKERS} worker`,
        async () => {
          const { workers } = (await (await fetch(`${b.url}/api/fleet`)).json()) as { workers: unknown[] };
          return workers.length === MIN_WORKERS ? true : undefined;
        },
        60_000,
        200,
      );
      expect(await b.stop('SIGTERM')).toBe(0);
    }, 420_000);
  },
);
