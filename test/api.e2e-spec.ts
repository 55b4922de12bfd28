import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import request from 'supertest';
import { AppModule } from '../src/app.module';
import { testConfig } from '../src/config/app-config';
import { waitFor } from './support/control-plane-process';
import { datasetImages, defaultModelLabels } from './support/paths';

describe('REST API over the read models, with a real worker', () => {
  let app: INestApplication;
  let dataDir: string;
  let ids: string[];

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'api-'));
    const moduleRef = await Test.createTestingModule({
      imports: [AppModule.forRoot(testConfig({ port: 0, dataDir, minWorkers: 1, maxWorkers: 1 }))],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    const upload = request(app.getHttpServer()).post('/api/jobs');
    for (const file of datasetImages('ilsvrc2012-val-sample').slice(0, 3))
      upload.attach('files', readFileSync(file), basename(file));
    ids = (await upload.expect(202)).body.jobs.map((job: { id: string }) => job.id);
    await waitFor('three reported jobs', async () => {
      const page = await request(app.getHttpServer()).get('/api/jobs?status=reported');
      return page.body.total === 3 ? true : undefined;
    });
  }, 60_000);

  afterAll(async () => {
    await app.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('GET /api/jobs/:id shows the job with its label, attempts and times', async () => {
    const res = await request(app.getHttpServer()).get(`/api/jobs/${ids[0]}`).expect(200);
    expect(res.body).toMatchObject({
      id: ids[0],
      status: 'reported',
      attempts: 1,
      workerId: expect.stringMatching(/^w-/),
    });
    expect(defaultModelLabels().has(res.body.topLabel)).toBe(true);
    expect(res.body.topProbability).toBeGreaterThan(0);
    expect(res.body).not.toHaveProperty('webhook'); // it asked for none
    for (const time of ['uploadedAt', 'classifiedAt', 'reportedAt'])
      expect(res.body[time]).toMatch(/^\d{4}-\d\d-\d\dT/);
    // Queued when the queue's acknowledgement was recorded: a worker may have classified the job
    // before it was, and then the machine leaves it out (see the events test below).
    const history = await request(app.getHttpServer()).get(`/api/jobs/${ids[0]}/events`).expect(200);
    const queued = (history.body as { type: string }[]).some((event) => event.type === 'JobQueued');
    expect(res.body.queuedAt).toEqual(queued ? expect.stringMatching(/^\d{4}-\d\d-\d\dT/) : undefined);
  });

  it('GET /api/jobs/:id/events lists the job history from the log, in order', async () => {
    const res = await request(app.getHttpServer()).get(`/api/jobs/${ids[1]}/events`).expect(200);
    const history = res.body as { type: string; version: number }[];
    expect(history.map((e) => e.version)).toEqual(history.map((_, i) => i + 1));
    // The worker may take the job before its JobQueued is written, and even classify it: the
    // machine allows both, and leaves out a JobQueued that comes after the result.
    const types = history.map((e) => e.type);
    expect([
      ['JobUploaded', 'JobQueued', 'JobAttemptStarted', 'JobClassified', 'JobReported'],
      ['JobUploaded', 'JobAttemptStarted', 'JobQueued', 'JobClassified', 'JobReported'],
      ['JobUploaded', 'JobAttemptStarted', 'JobClassified', 'JobReported'],
    ]).toContainEqual(types);
  });

  it('answers 404 with a reason for an unknown job', async () => {
    const res = await request(app.getHttpServer()).get('/api/jobs/zzz/events').expect(404);
    expect(res.body).toEqual({ error: 'job_not_found', message: 'No job zzz' });
    await request(app.getHttpServer()).get('/api/jobs/zzz').expect(404);
  });

  it('GET /api/jobs pages in upload order and filters by status', async () => {
    const page = await request(app.getHttpServer()).get('/api/jobs?offset=1&limit=1').expect(200);
    expect(page.body).toMatchObject({ total: 3, offset: 1, limit: 1 });
    expect(page.body.items.map((j: { id: string }) => j.id)).toEqual([ids[1]]);
    const failed = await request(app.getHttpServer()).get('/api/jobs?status=failed').expect(200);
    expect(failed.body).toMatchObject({ items: [], total: 0 });
    const next = await request(app.getHttpServer())
      .get(`/api/jobs?limit=1&after=${page.body.nextCursor}`)
      .expect(200);
    expect(next.body.items.map((j: { id: string }) => j.id)).toEqual([ids[2]]);
    expect(next.body.nextCursor).toBeUndefined();
  });

  it('answers 400 for a cursor that no page gave, or one with an offset', async () => {
    const bad = await request(app.getHttpServer()).get('/api/jobs?after=abc').expect(400);
    expect(bad.body.message).toMatch(/after must be a page's nextCursor/);
    const both = await request(app.getHttpServer()).get('/api/jobs?after=1&offset=2').expect(400);
    expect(both.body.message).toMatch(/use offset or after, not both/);
  });

  it('answers 400 with a reason for a malformed query', async () => {
    const res = await request(app.getHttpServer()).get('/api/jobs?limit=0&status=done').expect(400);
    expect(res.body.error).toBe('invalid_request');
    expect(res.body.message).toMatch(/limit.*status/);
    await request(app.getHttpServer()).get('/api/fleet?all=maybe').expect(400);
  });

  it('GET /health is ready: stores answer and a worker has the model loaded', async () => {
    const res = await request(app.getHttpServer()).get('/health').expect(200);
    expect(res.body.status).toBe('ok');
    expect(res.body.checks.modelLoaded).toEqual({ ok: true, detail: '1 worker(s) with the model loaded' });
  });

  it('GET /api/fleet lists the worker with its state and the jobs it did', async () => {
    const res = await request(app.getHttpServer()).get('/api/fleet').expect(200);
    expect(res.body.workers).toEqual([
      expect.objectContaining({
        id: expect.stringMatching(/^w-/),
        state: expect.stringMatching(/running|idle/),
        jobsDone: 3,
      }),
    ]);
  });
});
