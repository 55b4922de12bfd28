import { TestingModule } from '@nestjs/testing';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry, register as globalRegistry } from 'prom-client';
import { AWS_SCALING, decideScaling } from '../../state-machines/scaling-policy';
import { bootWithScriptedEffects } from '../../test/support/scripted-effects';
import { parseMetrics, sampleValue, Sample } from '../../test/support/prometheus-text';
import { ActorHost } from '../actors/actor-host.service';
import { CONTROLLER_STREAM, JOB, WEBHOOK } from '../actors/actor-kinds';
import { ManualClock } from '../clock/manual-clock';
import { testConfig } from '../config/app-config';
import { REQUEST_QUEUE } from '../pipeline/queue-tokens';
import { Queue } from '../ports/queue.port';
import { ProjectionsModule } from '../projections/projections.module';
import { MetricsModule } from './metrics.module';

const LATENCY = 'eir_classification_latency_seconds';
const top5 = [{ label: 'goldfish', probability: 0.9 }];

/** The metrics over the real log, host, read models and SQLite queue; effects scripted, time manual. */
function boot(dataDir: string, clock: ManualClock): Promise<TestingModule> {
  return bootWithScriptedEffects({
    config: testConfig({ port: 0, dataDir }),
    clock,
    imports: [ProjectionsModule, MetricsModule],
  });
}

async function scrape(moduleRef: TestingModule): Promise<Sample[]> {
  return parseMetrics(await moduleRef.get(Registry).metrics());
}

/** Uploads a job now and classifies it `afterMs` later (the scripted effects queue and report it). */
async function classifyJob(moduleRef: TestingModule, clock: ManualClock, jobId: string, afterMs: number) {
  const host = moduleRef.get(ActorHost);
  const stream = JOB.streamId(jobId);
  await host.dispatch(stream, {
    type: 'JobUploaded',
    jobId,
    fileName: `${jobId}.jpg`,
    contentType: 'image/jpeg',
    sizeBytes: 1000,
  });
  await host.settle();
  clock.advance(afterMs);
  await host.dispatch(stream, { type: 'JobClassified', workerId: 'w1', label: 'goldfish', top5 });
  await host.settle();
}

describe('Metrics from the read models, the request queue and live events', () => {
  let dataDir: string;
  let clock: ManualClock;
  let moduleRef: TestingModule;

  beforeEach(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'metrics-'));
    clock = new ManualClock();
    moduleRef = await boot(dataDir, clock);
  });

  afterEach(async () => {
    await moduleRef.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('observes each job once, from JobUploaded to JobClassified, in seconds', async () => {
    await classifyJob(moduleRef, clock, 'a', 1_500);
    const duplicate = await moduleRef
      .get(ActorHost)
      .dispatch(JOB.streamId('a'), { type: 'JobClassified', workerId: 'w2', label: 'goldfish', top5 });
    expect(duplicate.accepted).toBe(false);

    const samples = await scrape(moduleRef);
    expect(sampleValue(samples, `${LATENCY}_count`)).toBe(1);
    expect(sampleValue(samples, `${LATENCY}_sum`)).toBeCloseTo(1.5, 6);
    expect(sampleValue(samples, `${LATENCY}_bucket`, { le: '1' })).toBe(0);
    expect(sampleValue(samples, `${LATENCY}_bucket`, { le: '2.5' })).toBe(1);
    expect(sampleValue(samples, 'eir_jobs', { state: 'reported' })).toBe(1);
    expect(sampleValue(samples, 'eir_jobs', { state: 'queued' })).toBe(0);
  });

  it('does not count replayed classifications again after a restart, but counts new ones', async () => {
    await classifyJob(moduleRef, clock, 'a', 1_500);
    await classifyJob(moduleRef, clock, 'b', 2_000);
    await moduleRef.close();

    moduleRef = await boot(dataDir, clock);
    let samples = await scrape(moduleRef);
    expect(sampleValue(samples, 'eir_jobs', { state: 'reported' })).toBe(2);
    expect(sampleValue(samples, `${LATENCY}_count`)).toBe(0);

    await classifyJob(moduleRef, clock, 'c', 250);
    samples = await scrape(moduleRef);
    expect(sampleValue(samples, 'eir_jobs', { state: 'reported' })).toBe(3);
    expect(sampleValue(samples, `${LATENCY}_count`)).toBe(1);
    expect(sampleValue(samples, `${LATENCY}_sum`)).toBeCloseTo(0.25, 6);
  });

  it('counts scaling decisions by action live, and shows the launched workers by state', async () => {
    const host = moduleRef.get(ActorHost);
    const stream = CONTROLLER_STREAM;
    const settings = { ...AWS_SCALING, minWorkers: 2, maxWorkers: 4 };
    const idleFleet = { pending: 0, running: 0, idle: 0, terminating: 0 };
    const observed = { visible: 0, inFlight: 0, workers: idleFleet, idleWorkers: [], pendingWorkers: [] };
    const decision = decideScaling(observed, settings);
    expect(decision).toMatchObject({ action: 'scaleOut', launch: 2 });

    await host.dispatch(stream, { type: 'ControllerStarted', settings, cooldownMs: 20_000 });
    await host.dispatch(stream, { type: 'ScalingDecided', decision });
    await host.settle();
    let samples = await scrape(moduleRef);
    expect(sampleValue(samples, 'eir_scaling_decisions_total', { action: 'scaleOut' })).toBe(1);
    expect(sampleValue(samples, 'eir_scaling_decisions_total', { action: 'scaleIn' })).toBe(0);
    expect(sampleValue(samples, 'eir_scaling_decisions_total', { action: 'hold' })).toBe(0);
    expect(sampleValue(samples, 'eir_workers', { state: 'pending' })).toBe(2);
    expect(sampleValue(samples, 'eir_workers', { state: 'running' })).toBe(0);

    await moduleRef.close();
    moduleRef = await boot(dataDir, clock);
    samples = await scrape(moduleRef);
    expect(sampleValue(samples, 'eir_scaling_decisions_total', { action: 'scaleOut' })).toBe(0);
    expect(sampleValue(samples, 'eir_workers', { state: 'pending' })).toBe(2);
  });

  it('counts webhook attempts by outcome, live', async () => {
    const host = moduleRef.get(ActorHost);
    const attempts = async (outcome: string) =>
      sampleValue(await scrape(moduleRef), 'eir_webhook_attempts_total', { outcome });
    expect([await attempts('delivered'), await attempts('failed')]).toEqual([0, 0]);
    // The scripted effects deliver each webhook at its first attempt.
    await host.dispatch(WEBHOOK.streamId('j1'), {
      type: 'WebhookRequested',
      jobId: 'j1',
      url: 'https://hooks.example.com/',
      body: '{}',
      maxAttempts: 3,
      retryBaseMs: 1_000,
      retryMaxMs: 10_000,
    });
    await host.settle();
    expect([await attempts('delivered'), await attempts('failed')]).toEqual([1, 0]);
  });

  it("reads the request queue's visible, in-flight and delayed counts at scrape time", async () => {
    const queue = moduleRef.get<Queue>(REQUEST_QUEUE);
    const messages = (samples: Sample[]) =>
      ['visible', 'in_flight', 'delayed'].map((state) =>
        sampleValue(samples, 'eir_request_queue_messages', { state }),
      );
    expect(messages(await scrape(moduleRef))).toEqual([0, 0, 0]);

    await queue.sendBatch(['1', '2', '3']);
    await queue.send('later', { delayMs: 60_000 });
    await queue.receive({ maxMessages: 1 });
    expect(messages(await scrape(moduleRef))).toEqual([2, 1, 1]);
  });

  it('leaves out the queue series when the queue cannot be read, and still answers the rest', async () => {
    const before = await scrape(moduleRef);
    expect(sampleValue(before, 'eir_request_queue_messages', { state: 'visible' })).toBe(0);
    await moduleRef.get<Queue>(REQUEST_QUEUE).close();
    const text = await moduleRef.get(Registry).metrics();
    const samples = parseMetrics(text);
    expect(samples.filter((s) => s.name === 'eir_request_queue_messages')).toEqual([]);
    expect(text).toContain('# TYPE eir_request_queue_messages gauge');
    expect(sampleValue(samples, 'eir_jobs', { state: 'reported' })).toBe(0);
  });

  it("uses the app's own registry, with Node's process metrics, not prom-client's global one", async () => {
    const samples = await scrape(moduleRef);
    expect(samples.some((s) => s.name === 'process_cpu_user_seconds_total')).toBe(true);
    expect(globalRegistry.getSingleMetric('eir_jobs')).toBeUndefined();
  });
});
