import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { ActorHost } from '../src/actors/actor-host.service';
import { JOB, WORKER } from '../src/actors/actor-kinds';
import { AppModule } from '../src/app.module';

describe('read API over the projections', () => {
  let app: INestApplication;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'api-'));
    const moduleRef = await Test.createTestingModule({
      imports: [AppModule.forRoot({ port: 0, dataDir, profile: 'local' })],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    const host = app.get(ActorHost);
    for (const id of ['a', 'b', 'c']) {
      await host.dispatch(JOB.streamId(id), {
        type: 'JobUploaded',
        jobId: id,
        fileName: `${id}.jpg`,
        contentType: 'image/jpeg',
        sizeBytes: 100,
      });
    }
    await host.dispatch(JOB.streamId('b'), { type: 'JobQueued', messageId: 'm-b' });
    await host.dispatch(JOB.streamId('b'), {
      type: 'JobClassified',
      workerId: 'w1',
      label: 'tabby',
      top5: [{ label: 'tabby', probability: 0.75 }],
    });
    await host.dispatch(WORKER.streamId('w1'), { type: 'WorkerLaunchRequested', workerId: 'w1', reason: 'minimum' });
  });

  afterAll(async () => {
    await app.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('GET /api/jobs/:id shows the job read model', async () => {
    const res = await request(app.getHttpServer()).get('/api/jobs/b').expect(200);
    expect(res.body).toMatchObject({ id: 'b', fileName: 'b.jpg', status: 'classified', topLabel: 'tabby', topProbability: 0.75 });
    expect(res.body.classifiedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it('GET /api/jobs/:id/events lists the job history from the log, in order', async () => {
    const res = await request(app.getHttpServer()).get('/api/jobs/b/events').expect(200);
    expect(res.body.map((e: { type: string; version: number }) => [e.type, e.version])).toEqual([
      ['JobUploaded', 1],
      ['JobQueued', 2],
      ['JobClassified', 3],
    ]);
  });

  it('answers 404 with a reason for an unknown job', async () => {
    const res = await request(app.getHttpServer()).get('/api/jobs/zzz/events').expect(404);
    expect(res.body).toEqual({ error: 'job_not_found', message: 'No job zzz' });
    await request(app.getHttpServer()).get('/api/jobs/zzz').expect(404);
  });

  it('GET /api/jobs pages in upload order and filters by status', async () => {
    const page = await request(app.getHttpServer()).get('/api/jobs?offset=1&limit=1').expect(200);
    expect(page.body).toMatchObject({ total: 3, offset: 1, limit: 1 });
    expect(page.body.items.map((j: { id: string }) => j.id)).toEqual(['b']);
    const uploaded = await request(app.getHttpServer()).get('/api/jobs?status=uploaded').expect(200);
    expect(uploaded.body.items.map((j: { id: string }) => j.id)).toEqual(['a', 'c']);
  });

  it('answers 400 with a reason for a malformed query', async () => {
    const res = await request(app.getHttpServer()).get('/api/jobs?limit=0&status=done').expect(400);
    expect(res.body.error).toBe('invalid_request');
    expect(res.body.message).toMatch(/limit.*status/);
  });

  it('GET /api/fleet lists workers with their state', async () => {
    const res = await request(app.getHttpServer()).get('/api/fleet').expect(200);
    expect(res.body.workers).toEqual([expect.objectContaining({ id: 'w1', state: 'pending', launchReason: 'minimum' })]);
  });
});
