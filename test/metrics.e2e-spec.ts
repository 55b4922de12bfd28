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
import { metricType, parseMetrics, Sample, sampleValue } from './support/prometheus-text';

const LATENCY = 'eir_classification_latency_seconds';
const UPLOAD = 'eir_upload_latency_seconds';
const images = datasetImages('ilsvrc2012-val-sample');

async function boot(dataDir: string): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule({
    imports: [AppModule.forRoot(testConfig({ port: 0, dataDir, minWorkers: 1, maxWorkers: 1 }))],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  return app.init();
}

async function scrape(app: INestApplication): Promise<Sample[]> {
  const res = await request(app.getHttpServer()).get('/metrics').expect(200);
  return parseMetrics(res.text);
}

/** Polls /metrics until `reported` jobs are reported and the request queue holds nothing. */
function settled(app: INestApplication, reported: number): Promise<Sample[]> {
  return waitFor(`${reported} reported jobs and an empty request queue`, async () => {
    const samples = await scrape(app);
    const done = sampleValue(samples, 'eir_jobs', { state: 'reported' }) === reported;
    const queued = ['visible', 'in_flight', 'delayed'].map((state) =>
      sampleValue(samples, 'eir_request_queue_messages', { state }),
    );
    return done && queued.every((n) => n === 0) ? samples : undefined;
  });
}

/** Sends one real image to the course client's `POST /` and expects a label of the model. */
async function classifyOne(app: INestApplication, file: string): Promise<void> {
  const res = await request(app.getHttpServer())
    .post('/')
    .attach('myfile', readFileSync(file), basename(file))
    .expect(200);
  expect(defaultModelLabels().has(res.text)).toBe(true);
}

describe('GET /metrics on the service with a real worker', () => {
  let app: INestApplication;
  let dataDir: string;
  let samples: Sample[];

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'metrics-e2e-'));
    app = await boot(dataDir);
    const upload = request(app.getHttpServer()).post('/api/jobs');
    images.slice(0, 3).forEach((file) => upload.attach('files', readFileSync(file), basename(file)));
    await upload.expect(202);
    await classifyOne(app, images[3]);
    await request(app.getHttpServer())
      .post('/api/jobs')
      .attach('files', Buffer.from('just some text'), 'notes.jpg')
      .expect(415);
    await request(app.getHttpServer())
      .post('/')
      .attach('image', readFileSync(images[4]), 'wrong-field.jpg')
      .expect(400);
    samples = await settled(app, 4);
  }, 90_000);

  afterAll(async () => {
    await app.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("answers in Prometheus' text format, declaring each metric's type", async () => {
    const res = await request(app.getHttpServer()).get('/metrics').expect(200);
    const [mediaType, ...params] = res.headers['content-type'].split(';').map((part: string) => part.trim());
    expect(mediaType).toBe('text/plain');
    expect(params.sort()).toEqual(['charset=utf-8', 'version=0.0.4']);
    expect({
      jobs: metricType(res.text, 'eir_jobs'),
      workers: metricType(res.text, 'eir_workers'),
      queue: metricType(res.text, 'eir_request_queue_messages'),
      latency: metricType(res.text, LATENCY),
      upload: metricType(res.text, UPLOAD),
      decisions: metricType(res.text, 'eir_scaling_decisions_total'),
      process: metricType(res.text, 'process_cpu_user_seconds_total'),
    }).toEqual({
      jobs: 'gauge',
      workers: 'gauge',
      queue: 'gauge',
      latency: 'histogram',
      upload: 'histogram',
      decisions: 'counter',
      process: 'counter',
    });
  });

  it('shows the jobs by state and one ready worker after four classifications', () => {
    const jobs = ['uploaded', 'queued', 'classified', 'reported', 'rejected', 'failed'].map((state) =>
      sampleValue(samples, 'eir_jobs', { state }),
    );
    expect(jobs).toEqual([0, 0, 0, 4, 0, 0]);
    const ready =
      sampleValue(samples, 'eir_workers', { state: 'running' }) +
      sampleValue(samples, 'eir_workers', { state: 'idle' });
    expect(ready).toBe(1);
    expect(sampleValue(samples, 'eir_workers', { state: 'pending' })).toBe(0);
  });

  it('observed one classification latency per job', () => {
    expect(sampleValue(samples, `${LATENCY}_count`)).toBe(4);
    expect(sampleValue(samples, `${LATENCY}_bucket`, { le: '+Inf' })).toBe(4);
    expect(sampleValue(samples, `${LATENCY}_sum`)).toBeGreaterThan(0);
    expect(sampleValue(samples, `${LATENCY}_sum`)).toBeLessThan(4 * 90);
  });

  it('timed each upload request by route and status, refusals included', () => {
    const count = (route: string, status_code: string) =>
      sampleValue(samples, `${UPLOAD}_count`, { route, status_code });
    expect(count('/api/jobs', '202')).toBe(1);
    expect(count('/api/jobs', '415')).toBe(1);
    expect(count('/', '200')).toBe(1);
    expect(count('/', '400')).toBe(1);
    expect(sampleValue(samples, `${UPLOAD}_sum`, { route: '/', status_code: '200' })).toBeGreaterThan(0);
  });

  it('counts the scaling decision that launched the always-on worker', () => {
    expect(
      sampleValue(samples, 'eir_scaling_decisions_total', { action: 'scaleOut' }),
    ).toBeGreaterThanOrEqual(1);
    expect(sampleValue(samples, 'eir_scaling_decisions_total', { action: 'scaleIn' })).toBe(0);
  });

  it('after a restart, rebuilds the job gauges from the log without counting old jobs again', async () => {
    await app.close();
    app = await boot(dataDir);
    const replayed = await scrape(app);
    expect(sampleValue(replayed, 'eir_jobs', { state: 'reported' })).toBe(4);
    expect(sampleValue(replayed, `${LATENCY}_count`)).toBe(0);
    expect(replayed.filter((s) => s.name.startsWith(UPLOAD))).toEqual([]);

    await classifyOne(app, images[5]);
    const after = await settled(app, 5);
    expect(sampleValue(after, `${LATENCY}_count`)).toBe(1);
  }, 90_000);
});
