import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import request from 'supertest';
import { AppModule } from '../src/app.module';
import { testConfig } from '../src/config/app-config';
import { ActorHost } from '../src/actors/actor-host.service';
import { JOB } from '../src/actors/actor-kinds';
import { ObjectStore } from '../src/ports/object-store.port';
import { waitFor } from './support/control-plane-process';
import { datasetImages } from './support/paths';

describe('uploads are validated at the door', () => {
  let app: INestApplication;
  let dataDir: string;
  const jpeg = readFileSync(datasetImages('ilsvrc2012-val-sample')[0]);

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'uploads-'));
    // No workers: these tests are about what the web tier accepts, not about classification.
    const config = testConfig({
      port: 0,
      dataDir,
      minWorkers: 0,
      maxWorkers: 1,
      maxUploadBytes: 200_000,
      maxImagePixels: 1_000_000,
    });
    const moduleRef = await Test.createTestingModule({ imports: [AppModule.forRoot(config)] }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
  });

  afterAll(async () => {
    await app.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const post = () => request(app.getHttpServer()).post('/api/jobs');
  /** The job's view once it is queued: 202 answers once the upload is recorded; the enqueue follows. */
  const queuedJob = (id: string) =>
    waitFor(`job ${id} to be queued`, async () => {
      const job = await request(app.getHttpServer()).get(`/api/jobs/${id}`).expect(200);
      return job.body.status === 'queued' ? (job.body as Record<string, unknown>) : undefined;
    });

  it('is alive but not ready while no worker has loaded the model (503, naming the check)', async () => {
    await request(app.getHttpServer()).get('/health/live').expect(200, { status: 'ok' });
    const res = await request(app.getHttpServer()).get('/health').expect(503);
    expect(res.body.status).toBe('unavailable');
    expect(res.body.checks).toMatchObject({
      eventStore: { ok: true },
      requestQueue: { ok: true },
      objectStore: { ok: true },
      modelLoaded: { ok: false, detail: 'no worker has loaded the model yet' },
    });
  });

  it.each([
    ['an RFC 5987 name holding U+FFFF', `filename*=UTF-8''%EF%BF%BFa.jpg`, 'a.jpg'],
    [
      'a name in raw UTF-8 bytes, read as Latin-1 by the parser',
      'filename="caf\u00c3\u00a9.jpg"',
      'café.jpg',
    ],
    ['a name that is nothing but a control and a non-character', `filename*=UTF-8''%07%EF%BF%BE`, 'upload'],
  ])('cleans %s at the door, and the job is queued under the clean name', async (_, disposition, clean) => {
    const boundary = 'file-name-boundary';
    const body = Buffer.concat([
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="files"; ${disposition}\r\n` +
          'Content-Type: image/jpeg\r\n\r\n',
        'latin1',
      ),
      jpeg,
      Buffer.from(`\r\n--${boundary}--\r\n`, 'latin1'),
    ]);
    const res = await post().set('content-type', `multipart/form-data; boundary=${boundary}`).send(body);

    expect(res.status).toBe(202);
    expect(res.body.jobs).toEqual([{ id: expect.any(String), fileName: clean }]);
    expect(await queuedJob(res.body.jobs[0].id)).toMatchObject({ fileName: clean, status: 'queued' });
  });

  it('answers 400 with a reason for a raw control character in a part header', async () => {
    const body = Buffer.from(
      '--b\r\nContent-Disposition: form-data; name="files"; filename="a\u0001.jpg"\r\n\r\nxyz\r\n--b--\r\n',
      'latin1',
    );
    const res = await post().set('content-type', 'multipart/form-data; boundary=b').send(body);

    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(/malformed/i);
  });

  it('accepts an image with 202 and the job id, and stores its bytes', async () => {
    const res = await post().attach('files', jpeg, 'cat.jpg').expect(202);
    expect(res.body).toEqual({ jobs: [{ id: expect.any(String), fileName: 'cat.jpg' }], rejected: [] });
    expect(await queuedJob(res.body.jobs[0].id)).toMatchObject({ fileName: 'cat.jpg', status: 'queued' });
    expect(await app.get(ObjectStore).get(`inputs/${res.body.jobs[0].id}`)).toEqual(jpeg);
  });

  it.each(['webp', 'gif', 'tiff', 'avif'] as const)(
    'accepts a %s, as documented, with its content type',
    async (format) => {
      const image = await sharp({ create: { width: 32, height: 24, channels: 3, background: '#3a7' } })
        [format]()
        .toBuffer();
      const res = await post().attach('files', image, `picture.${format}`).expect(202);
      const stored = await app.get(ObjectStore).head(`inputs/${res.body.jobs[0].id}`);
      expect(stored?.contentType).toBe(`image/${format}`);
    },
  );

  it('refuses a file that is not an image with 415 and a reason', async () => {
    const res = await post().attach('files', Buffer.from('just some text'), 'notes.jpg').expect(415);
    expect(res.body).toMatchObject({
      error: 'not_an_image',
      message: expect.stringContaining('not an image'),
    });
  });

  it('refuses an SVG by its first bytes with 415, before any decoder sees it', async () => {
    const svg = Buffer.from(
      '<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"><rect width="8" height="8"/></svg>',
    );
    const res = await post().attach('files', svg, 'vector.svg').expect(415);
    expect(res.body).toMatchObject({
      error: 'not_an_image',
      message: expect.stringContaining('jpeg, png, webp, gif, tiff, avif'),
    });
  });

  it('refuses an image with too many pixels with 413', async () => {
    const huge = await sharp({ create: { width: 2000, height: 1000, channels: 3, background: '#808080' } })
      .png()
      .toBuffer();
    const res = await post().attach('files', huge, 'wide.png').expect(413);
    expect(res.body).toMatchObject({
      error: 'image_too_large',
      message: expect.stringContaining('2000×1000'),
    });
  });

  it('refuses a file over the byte limit with 413 before reading it all', async () => {
    const res = await post().attach('files', Buffer.alloc(300_000, 1), 'big.jpg').expect(413);
    expect(res.body.error).toBe('payload_too_large');
  });

  it('accepts the good files of a batch and names the refused ones', async () => {
    const res = await post()
      .attach('files', jpeg, 'good.jpg')
      .attach('files', Buffer.from('x'), 'bad.jpg')
      .expect(202);
    expect(res.body.jobs).toEqual([{ id: expect.any(String), fileName: 'good.jpg' }]);
    expect(res.body.rejected).toEqual([
      { fileName: 'bad.jpg', error: 'not_an_image', message: expect.any(String), httpStatus: 415 },
    ]);
  });

  describe('with an Idempotency-Key', () => {
    const submit = (key: string, ...names: string[]) => {
      const req = post().set('idempotency-key', key);
      for (const name of names) req.attach('files', jpeg, name);
      return req;
    };
    const total = async () => (await request(app.getHttpServer()).get('/api/jobs?limit=1')).body.total;

    it('answers a retry with the jobs of the first try, and creates none', async () => {
      const first = await submit('retry-1', 'a.jpg', 'b.jpg').expect(202);
      const before = await total();
      const retry = await submit('retry-1', 'a.jpg', 'b.jpg').expect(202);

      expect(first.headers['idempotent-replayed']).toBeUndefined();
      expect(retry.headers['idempotent-replayed']).toBe('true');
      expect(retry.body).toEqual(first.body);
      expect(await total()).toBe(before);
    });

    it('runs two tries sent at once one after the other: one set of jobs', async () => {
      const before = await total();
      const [one, two] = await Promise.all([submit('at-once', 'c.jpg'), submit('at-once', 'c.jpg')]);

      expect([one.status, two.status]).toEqual([202, 202]);
      expect(one.body.jobs).toEqual(two.body.jobs);
      expect(await total()).toBe(before + 1);
    });

    it('refuses the key for other files with 422, and a malformed key with 400', async () => {
      await submit('reused', 'd.jpg').expect(202);
      const reused = await submit('reused', 'other-name.jpg').expect(422);
      expect(reused.body).toMatchObject({ error: 'idempotency_key_reused' });
      const malformed = await submit('has space', 'e.jpg').expect(400);
      expect(malformed.body).toMatchObject({ error: 'invalid_idempotency_key' });
    });
  });

  it('answers 400 when the request carries no file, naming the field', async () => {
    const res = await post().field('note', 'hello').expect(400);
    expect(res.body).toMatchObject({ error: 'no_file', message: expect.stringContaining('"files"') });
    const course = await request(app.getHttpServer()).post('/').field('note', 'hello').expect(400);
    expect(course.body.message).toContain('"myfile"');
  });

  it('answers 400 for a file in an unexpected field', async () => {
    const res = await request(app.getHttpServer()).post('/').attach('image', jpeg, 'cat.jpg').expect(400);
    expect(res.body).toMatchObject({ error: 'bad_request', message: expect.stringContaining('image') });
  });

  it('serves the upload page', async () => {
    const res = await request(app.getHttpServer()).get('/').expect(200);
    expect(res.text).toContain('<title>');
    await request(app.getHttpServer())
      .get('/app.js')
      .expect(200)
      .expect('content-type', /javascript/);
  });
});

describe('the course client waiting past the result timeout', () => {
  let app: INestApplication;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'timeout-'));
    // No always-on worker and a 100 ms patience: the worker launched for the job cannot boot in time.
    const config = testConfig({ port: 0, dataDir, minWorkers: 0, maxWorkers: 1, resultTimeoutMs: 100 });
    const moduleRef = await Test.createTestingModule({ imports: [AppModule.forRoot(config)] }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
  });

  afterAll(async () => {
    await app.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers 504 with a reason naming the job, which stays accepted', async () => {
    const jpeg = readFileSync(datasetImages('ilsvrc2012-val-sample')[1]);
    const res = await request(app.getHttpServer()).post('/').attach('myfile', jpeg, 'slow.jpg').expect(504);
    expect(res.body).toMatchObject({
      error: 'result_timeout',
      message: expect.stringMatching(/within 100 ms; it stays queued/),
    });
    const jobId = /\/api\/jobs\/([0-9a-f-]+)/.exec(res.body.message)![1];
    const job = await request(app.getHttpServer()).get(`/api/jobs/${jobId}`).expect(200);
    expect(['uploaded', 'queued', 'classified', 'reported']).toContain(job.body.status);
  });
});

describe('a job recorded with a name the request queue refuses (before names were cleaned)', () => {
  let dataDir: string;
  const open: INestApplication[] = [];
  beforeAll(() => (dataDir = mkdtempSync(join(tmpdir(), 'old-name-'))));
  afterAll(async () => {
    for (const app of open) await app.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const boot = async () => {
    const config = testConfig({ port: 0, dataDir, minWorkers: 0, maxWorkers: 1 });
    const moduleRef = await Test.createTestingModule({ imports: [AppModule.forRoot(config)] }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    open.push(app);
    return app.init();
  };

  it('no longer stops the next boot: the job is enqueued under its cleaned name', async () => {
    const first = await boot();
    const jobId = randomUUID();
    // As an old upload was recorded: its enqueue fails live, so the job waits in `uploaded`.
    await first.get(ActorHost).dispatch(JOB.streamId(jobId), {
      type: 'JobUploaded',
      jobId,
      fileName: '\uffffa.jpg',
      contentType: 'image/jpeg',
      sizeBytes: 3,
      maxAttempts: 3,
    });
    await open.pop()!.close();

    const second = await boot();
    const job = await request(second.getHttpServer()).get(`/api/jobs/${jobId}`).expect(200);
    expect(job.body.status).toBe('queued');
  });
});
