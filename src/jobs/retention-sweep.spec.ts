import { TestingModule } from '@nestjs/testing';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootWithScriptedEffects } from '../../test/support/scripted-effects';
import { ActorHost } from '../actors/actor-host.service';
import { JOB } from '../actors/actor-kinds';
import { ManualClock } from '../clock/manual-clock';
import { testConfig } from '../config/app-config';
import { objectKeys } from '../pipeline/messages';
import { EventStore } from '../ports/event-store.port';
import { ObjectStore } from '../ports/object-store.port';
import { RETENTION_STREAM } from '../projections/expired-files.projection';
import { ProjectionsModule } from '../projections/projections.module';
import { QueryService } from '../projections/query.service';
import { RetentionSweep } from './retention-sweep';

const HOUR = 60 * 60 * 1000;
const DAY = 24 * HOUR;

/** The sweep over the real log, host, read models and file store; job effects scripted, time manual. */
function boot(dataDir: string, clock: ManualClock, days = 30): Promise<TestingModule> {
  return bootWithScriptedEffects({
    config: testConfig({ port: 0, dataDir, retention: { days, sweepMs: HOUR } }),
    clock,
    imports: [ProjectionsModule],
    providers: [RetentionSweep],
  });
}

/** A job uploaded and reported now, with an input and an output stored. */
async function finishedJob(moduleRef: TestingModule, jobId: string): Promise<void> {
  const host = moduleRef.get(ActorHost);
  const objects = moduleRef.get(ObjectStore);
  await objects.put(objectKeys.input(jobId), Buffer.from('image bytes'));
  await host.dispatch(JOB.streamId(jobId), {
    type: 'JobUploaded',
    jobId,
    fileName: `${jobId}.jpg`,
    contentType: 'image/jpeg',
    sizeBytes: 11,
  });
  await host.settle();
  await host.dispatch(JOB.streamId(jobId), {
    type: 'JobClassified',
    workerId: 'w1',
    label: 'goldfish',
    top5: [{ label: 'goldfish', probability: 0.9 }],
  });
  await objects.put(objectKeys.output(jobId), Buffer.from('{"label":"goldfish"}'));
  await host.settle();
}

describe('RetentionSweep: the files of finished jobs, deleted RETENTION_DAYS after they ended', () => {
  let dataDir: string;
  let clock: ManualClock;
  let moduleRef: TestingModule;

  beforeEach(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'retention-'));
    clock = new ManualClock();
    moduleRef = await boot(dataDir, clock);
  });
  afterEach(async () => {
    await moduleRef.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const stored = async (jobId: string) => {
    const objects = moduleRef.get(ObjectStore);
    return [
      (await objects.head(objectKeys.input(jobId))) !== null,
      (await objects.head(objectKeys.output(jobId))) !== null,
    ];
  };
  const retentionEvents = () => moduleRef.get(EventStore).readStream(RETENTION_STREAM);

  it('deletes an old job’s input and output on the hourly sweep and records it; its label stays readable', async () => {
    await finishedJob(moduleRef, 'old');
    await passTime(moduleRef, clock, 20 * DAY);
    await finishedJob(moduleRef, 'recent');
    const host = moduleRef.get(ActorHost);
    await host.dispatch(JOB.streamId('waiting'), {
      type: 'JobUploaded',
      jobId: 'waiting',
      fileName: 'waiting.jpg',
      contentType: 'image/jpeg',
      sizeBytes: 11,
    });
    await moduleRef.get(ObjectStore).put(objectKeys.input('waiting'), Buffer.from('image bytes'));

    await passTime(moduleRef, clock, 10 * DAY - HOUR);
    expect(await stored('old')).toEqual([true, true]);
    // 30 days after "old" ended, and the hourly sweep comes.
    await passTime(moduleRef, clock, 2 * HOUR);

    expect(await stored('old')).toEqual([false, false]);
    expect(await stored('recent')).toEqual([true, true]);
    expect(await stored('waiting')).toEqual([true, false]);
    const events = await retentionEvents();
    expect(events.map((e) => [e.type, e.data.jobIds])).toEqual([['JobFilesDeleted', ['old']]]);
    const view = await moduleRef.get(QueryService).getJob('old');
    expect(view).toMatchObject({
      status: 'reported',
      topLabel: 'goldfish',
      filesDeletedAt: new Date(clock.now()).toISOString(),
    });
    expect((await moduleRef.get(QueryService).getJob('recent')).filesDeletedAt).toBeUndefined();
  });

  it('after a restart, knows what it deleted: records nothing twice, and goes on with the rest', async () => {
    await finishedJob(moduleRef, 'first');
    await passTime(moduleRef, clock, 10 * DAY);
    await finishedJob(moduleRef, 'second');
    await passTime(moduleRef, clock, 20 * DAY + HOUR);
    await moduleRef.close();

    moduleRef = await boot(dataDir, clock);
    expect((await moduleRef.get(QueryService).getJob('first')).filesDeletedAt).toBeDefined();
    await passTime(moduleRef, clock, 2 * HOUR);
    expect((await retentionEvents()).length).toBe(1);

    await passTime(moduleRef, clock, 10 * DAY);
    expect((await retentionEvents()).map((e) => e.data.jobIds)).toEqual([['first'], ['second']]);
    expect(await stored('second')).toEqual([false, false]);
  });

  it('keeps every file when RETENTION_DAYS is 0', async () => {
    await moduleRef.close();
    moduleRef = await boot(dataDir, clock, 0);
    await finishedJob(moduleRef, 'kept');
    await passTime(moduleRef, clock, 365 * DAY);
    expect(await stored('kept')).toEqual([true, true]);
    expect(await retentionEvents()).toEqual([]);
  });
});

/** Lets `ms` pass an hour at a time, as real time would, each sweep the timer starts finishing. */
async function passTime(moduleRef: TestingModule, clock: ManualClock, ms: number): Promise<void> {
  for (let left = ms; left > 0; left -= HOUR) {
    clock.advance(Math.min(HOUR, left));
    await moduleRef.get(RetentionSweep).idle();
  }
}
