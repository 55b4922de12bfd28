import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { Client } from 'pg';
import { ActorHost } from '../src/actors/actor-host.service';
import { JOB } from '../src/actors/actor-kinds';
import { CheckpointPublisher } from '../src/checkpoint/checkpoint-publisher';
import { AppConfig } from '../src/config/app-config';
import { EventStore } from '../src/ports/event-store.port';
import { RETENTION_STREAM } from '../src/projections/expired-files.projection';
import { waitFor } from './support/control-plane-process';
import { startInProcessService } from './support/in-process-service';
import { datasetImages } from './support/paths';
import { PostgresServer, startPostgresServer } from './support/postgres-server';

/** A job uploaded and classified, through the host: the leader's effects enqueue and report it. */
async function finishedJob(host: ActorHost, jobId: string): Promise<void> {
  await host.dispatch(JOB.streamId(jobId), {
    type: 'JobUploaded',
    jobId,
    fileName: `${jobId}.jpg`,
    contentType: 'image/jpeg',
    sizeBytes: 10,
  });
  await host.dispatch(JOB.streamId(jobId), {
    type: 'JobClassified',
    workerId: 'w1',
    label: 'goldfish',
    top5: [{ label: 'goldfish', probability: 0.9 }],
  });
  await host.settle();
}

interface JobPage {
  total: number;
  items: Array<{ id: string; status: string; topLabel?: string }>;
}

describe('the event log on PostgreSQL (EVENT_STORE=postgres)', () => {
  let server: PostgresServer;
  beforeAll(async () => {
    server = await startPostgresServer();
  }, 60_000);
  afterAll(() => server?.stop());

  it('lets a second control plane on the same log follow, and lead once the first stops', async () => {
    const settings: Partial<AppConfig> = {
      eventStore: { kind: 'postgres', url: server.url, schema: 'two_planes', leaderPollMs: 50 },
    };
    const roleOf = async (url: string) =>
      ((await (await fetch(`${url}/health`)).json()) as { role: string }).role;
    const first = await startInProcessService('pg-first', { ...settings, minWorkers: 0 });
    const second = await startInProcessService('pg-second', { ...settings, minWorkers: 0 });
    try {
      expect([await roleOf(first.url), await roleOf(second.url)]).toEqual(['leader', 'follower']);
      // A job that ended, and the leader's retention sweep recording its files deleted: the
      // follower's read model takes both from the log.
      const host = first.app.get(ActorHost);
      await host.dispatch(JOB.streamId('kept'), {
        type: 'JobUploaded',
        jobId: 'kept',
        fileName: 'kept.jpg',
        contentType: 'image/jpeg',
        sizeBytes: 10,
      });
      await host.dispatch(JOB.streamId('kept'), {
        type: 'JobClassified',
        workerId: 'w1',
        label: 'goldfish',
        top5: [{ label: 'goldfish', probability: 0.9 }],
      });
      await first.app
        .get(EventStore)
        .append(
          RETENTION_STREAM,
          [{ type: 'JobFilesDeleted', data: { jobIds: ['kept'], endedBefore: Date.now(), at: Date.now() } }],
          'any',
        );
      // The follower folds the job and follows the retention stream side by side: either may come first.
      await waitFor('the follower to see the job reported and its files deleted', async () => {
        const view = (await (await fetch(`${second.url}/api/jobs/kept`)).json()) as {
          status: string;
          filesDeletedAt?: string;
        };
        return view.status === 'reported' && view.filesDeletedAt ? true : undefined;
      });
    } finally {
      await first.close();
    }
    try {
      await waitFor('the second to lead', async () =>
        (await roleOf(second.url)) === 'leader' ? true : undefined,
      );
    } finally {
      await second.close();
    }
  }, 60_000);

  it('records every job in the database, and a control plane started afresh rebuilds them from it', async () => {
    const settings: Partial<AppConfig> = { eventStore: { kind: 'postgres', url: server.url, schema: 'eir' } };
    const first = await startInProcessService('pg-log', settings);
    const form = new FormData();
    for (const file of datasetImages('sample-photos').slice(0, 3))
      form.append('files', new Blob([readFileSync(file)], { type: 'image/jpeg' }), basename(file));
    let ids: string[];
    try {
      const res = await fetch(`${first.url}/api/jobs`, { method: 'POST', body: form });
      expect(res.status).toBe(202);
      ids = ((await res.json()) as { jobs: { id: string }[] }).jobs.map((job) => job.id);
      await waitFor('three reported jobs', async () => {
        const page = (await (await fetch(`${first.url}/api/jobs?status=reported`)).json()) as JobPage;
        return page.total === 3 ? true : undefined;
      });
    } finally {
      await first.close();
    }

    const client = new Client({ connectionString: server.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ type: string }>(
        'SELECT type FROM eir.events WHERE stream_id = $1 ORDER BY version',
        [`job-${ids[0]}`],
      );
      // Its JobQueued is there unless a worker classified the job before it was recorded.
      expect(rows.map((row) => row.type)).toEqual(
        expect.arrayContaining(['JobUploaded', 'JobClassified', 'JobReported']),
      );
    } finally {
      await client.end();
    }

    // A new data folder: no checkpoint, so the boot folds the whole log, read from PostgreSQL.
    const second = await startInProcessService('pg-log-again', settings);
    try {
      const page = (await (await fetch(`${second.url}/api/jobs`)).json()) as JobPage;
      expect(page.items.map(({ id, status }) => [id, status]).sort()).toEqual(
        ids.map((id) => [id, 'reported']).sort(),
      );
      const events = (await (await fetch(`${second.url}/api/jobs/${ids[1]}/events`)).json()) as unknown[];
      expect(events.length).toBeGreaterThanOrEqual(5);
    } finally {
      await second.close();
    }
  }, 120_000);

  it('starts a control plane on a new host from the checkpoint the leader published, folding only what came after', async () => {
    const settings: Partial<AppConfig> = {
      minWorkers: 0,
      // Published when the test says so, not on a beat.
      eventStore: { kind: 'postgres', url: server.url, schema: 'published', checkpointPublishMs: 3_600_000 },
    };
    const first = await startInProcessService('pg-publisher', settings);
    let publishedAt: number;
    let lastPosition: number;
    try {
      const host = first.app.get(ActorHost);
      await finishedJob(host, 'before-1');
      await finishedJob(host, 'before-2');
      const published = await first.app.get(CheckpointPublisher).publishIfAhead();
      publishedAt = published!.position;
      expect(publishedAt).toBe(await first.app.get(EventStore).lastPosition());
      await finishedJob(host, 'after');
    } finally {
      await first.close();
    }

    const client = new Client({ connectionString: server.url });
    await client.connect();
    try {
      lastPosition = Number(
        (await client.query('SELECT max(position) AS last FROM published.events')).rows[0].last,
      );
      const { rows } = await client.query('SELECT position, complete FROM published.checkpoints');
      expect(rows).toEqual([{ position: String(publishedAt), complete: true }]);
    } finally {
      await client.end();
    }

    // A new data folder: the boot takes the published checkpoint and folds the log after it.
    const second = await startInProcessService('pg-new-host', settings);
    try {
      const stats = second.app.get(ActorHost).replayStats;
      expect(stats.fromPosition).toBe(publishedAt);
      expect(stats.events).toBeGreaterThan(0);
      expect(stats.events).toBeLessThanOrEqual(lastPosition - publishedAt);
      const page = (await (await fetch(`${second.url}/api/jobs`)).json()) as JobPage;
      expect(page.items.map(({ id, status }) => [id, status]).sort()).toEqual([
        ['after', 'reported'],
        ['before-1', 'reported'],
        ['before-2', 'reported'],
      ]);
    } finally {
      await second.close();
    }
  }, 60_000);
});
