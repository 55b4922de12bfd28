import { TestingModule } from '@nestjs/testing';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootWithScriptedEffects } from '../../test/support/scripted-effects';
import { ActorHost } from '../actors/actor-host.service';
import { JOB } from '../actors/actor-kinds';
import { testConfig } from '../config/app-config';
import { JobsProjection } from './jobs.projection';
import { ProjectionsModule } from './projections.module';

describe('JobsProjection: pages in upload order, totals kept as jobs change', () => {
  let dataDir: string;
  let moduleRef: TestingModule;
  const boot = () =>
    bootWithScriptedEffects({ config: testConfig({ port: 0, dataDir }), imports: [ProjectionsModule] });

  beforeEach(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'jobs-projection-'));
    moduleRef = await boot();
    const host = moduleRef.get(ActorHost);
    for (let i = 0; i < 5; i++) {
      await host.dispatch(JOB.streamId(`j${i}`), {
        type: 'JobUploaded',
        jobId: `j${i}`,
        fileName: `j${i}.jpg`,
        contentType: 'image/jpeg',
        sizeBytes: 1,
      });
    }
    await host.settle();
    for (const i of [1, 3]) {
      await host.dispatch(JOB.streamId(`j${i}`), {
        type: 'JobClassified',
        workerId: 'w1',
        label: 'tabby',
        top5: [{ label: 'tabby', probability: 0.9 }],
      });
    }
    await host.settle();
  });
  afterEach(async () => {
    await moduleRef.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const ids = (page: { items: { id: string }[] }) => page.items.map((item) => item.id);

  it('pages all jobs and one status, each page with its total', () => {
    const jobs = moduleRef.get(JobsProjection);
    expect(jobs.list({ offset: 0, limit: 2 })).toMatchObject({ total: 5, offset: 0, limit: 2 });
    expect(ids(jobs.list({ offset: 0, limit: 2 }))).toEqual(['j0', 'j1']);
    expect(ids(jobs.list({ offset: 4, limit: 10 }))).toEqual(['j4']);
    expect(ids(jobs.list({ offset: 1, limit: 1, status: 'reported' }))).toEqual(['j3']);
    expect(jobs.list({ offset: 0, limit: 10, status: 'queued' })).toMatchObject({ total: 3 });
    expect(jobs.list({ offset: 9, limit: 10 })).toMatchObject({ items: [], total: 5 });
    expect(jobs.list({ offset: 3, limit: 2 }).nextCursor).toBeUndefined();
    expect(jobs.countByStatus()).toMatchObject({ queued: 3, reported: 2, uploaded: 0 });
  });

  it('walks the pages by cursor, missing and repeating none though jobs change status between pages', async () => {
    const jobs = moduleRef.get(JobsProjection);
    const first = jobs.list({ offset: 0, limit: 2, status: 'queued' });
    expect(ids(first)).toEqual(['j0', 'j2']);
    // j0 is reported before the next page is asked for: with offsets, j4 would be skipped.
    await moduleRef.get(ActorHost).dispatch(JOB.streamId('j0'), {
      type: 'JobClassified',
      workerId: 'w1',
      label: 'tabby',
      top5: [{ label: 'tabby', probability: 0.9 }],
    });
    await moduleRef.get(ActorHost).settle();
    const second = jobs.list({ offset: 0, limit: 2, status: 'queued', after: first.nextCursor });
    expect(ids(second)).toEqual(['j4']);
    expect(second.nextCursor).toBeUndefined();

    const all = [jobs.list({ offset: 0, limit: 3 })];
    while (all.at(-1)!.nextCursor)
      all.push(jobs.list({ offset: 0, limit: 3, after: all.at(-1)!.nextCursor }));
    expect(all.map(ids)).toEqual([
      ['j0', 'j1', 'j2'],
      ['j3', 'j4'],
    ]);
  });

  it('has the same totals after a restart rebuilt it from the log', async () => {
    await moduleRef.close();
    moduleRef = await boot();
    const jobs = moduleRef.get(JobsProjection);
    expect(jobs.countByStatus()).toMatchObject({ queued: 3, reported: 2 });
    expect(ids(jobs.list({ offset: 0, limit: 10, status: 'reported' }))).toEqual(['j1', 'j3']);
  });
});
