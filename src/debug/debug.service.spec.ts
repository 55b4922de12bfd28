import { Logger } from '@nestjs/common';
import { firstValueFrom, skip } from 'rxjs';
import { InMemoryEventStore } from '../adapters/memory/in-memory-event-store';
import { ActorHost } from '../actors/actor-host.service';
import { ManualClock } from '../clock/manual-clock';
import { Upcaster } from '../events/upcaster';
import { JobsProjection } from '../projections/jobs.projection';
import { WorkersProjection } from '../projections/workers.projection';
import { recordUnhandledEffects } from '../../test/support/scripted-effects';
import { StepOutOfRangeError, UnknownStreamError } from './debug.errors';
import { DebugService } from './debug.service';

const uploaded = (jobId: string, at: number) => ({
  type: 'JobUploaded',
  data: { jobId, fileName: `${jobId}.jpg`, contentType: 'image/jpeg', sizeBytes: 10, at },
});

/** A log written by an earlier run: the service is built on it the way a restarted control plane is. */
async function restartedOn() {
  const clock = new ManualClock(10_000);
  const store = new InMemoryEventStore(clock);
  await store.append(
    'worker-w1',
    [
      { type: 'WorkerLaunchRequested', data: { workerId: 'w1', reason: 'minimum', at: 900 } },
      { type: 'WorkerStarted', data: { instanceId: 'p1', at: 950 } },
    ],
    'no_stream',
  );
  await store.append(
    'job-a',
    [
      uploaded('a', 1000),
      { type: 'JobQueued', data: { messageId: 'm1', at: 1100 } },
      { type: 'JobAttemptStarted', data: { workerId: 'w1', attempt: 1, at: 1200 } },
      { type: 'JobClassified', data: { workerId: 'w1', label: 'tabby', top5: [], at: 1300 } },
    ],
    'no_stream',
  );
  await store.append('job-b', [uploaded('b', 1400)], 'no_stream');
  const upcaster = new Upcaster();
  const host = new ActorHost(store, clock, upcaster);
  recordUnhandledEffects(host, []);
  const jobs = new JobsProjection(host);
  const debug = new DebugService(host, store, upcaster, new WorkersProjection(host), clock, jobs);
  await host.onModuleInit();
  return { host, debug };
}

describe('DebugService', () => {
  beforeAll(() => {
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
  });

  it('counts the actors in each state from the replayed log, in the charts it generates', async () => {
    const { debug } = await restartedOn();
    const [job, worker, controller] = debug.statecharts();
    expect(job).toMatchObject({ kind: 'job', counts: { classified: 1, uploaded: 1 } });
    expect(job.mermaid).toContain('s_classified : × 1\n');
    expect(job.mermaid).toContain('s_queued : × 0\n');
    expect(worker.counts).toEqual({ running: 1 });
    expect(controller).toMatchObject({ kind: 'controller', counts: {} });
    expect(controller.states).toEqual(['steady', 'scalingOut', 'scalingIn', 'cooldown']);
  });

  it('derives the backlog and fleet history from the log, so a restart keeps it', async () => {
    const { debug } = await restartedOn();
    expect(debug.series()).toEqual({
      source: 'log',
      now: 10_000,
      points: [
        { at: 900, backlog: 0, fleet: 1 },
        { at: 1000, backlog: 1, fleet: 1 },
        { at: 1300, backlog: 0, fleet: 1 },
        { at: 1400, backlog: 1, fleet: 1 },
      ],
    });
  });

  it('sends the charts at once, then again after a live change', async () => {
    const { host, debug } = await restartedOn();
    host.onApplicationBootstrap();
    expect((await firstValueFrom(debug.statecharts$()))[0].counts).toEqual({ classified: 1, uploaded: 1 });
    const next = firstValueFrom(debug.statecharts$().pipe(skip(1)));
    await host.dispatch('job-b', { type: 'JobQueued', messageId: 'm2' });
    expect((await next)[0].counts).toEqual({ classified: 1, queued: 1 });
  });

  it('replays a stream to event k: the state then, the path so far, and the chart lit up', async () => {
    const { debug } = await restartedOn();
    const view = await debug.inspect('a', 2);
    expect(view).toMatchObject({
      streamId: 'job-a',
      kind: 'job',
      id: 'a',
      length: 4,
      k: 2,
      path: ['uploaded', 'queued'],
    });
    expect(view.state).toMatchObject({ value: 'queued', states: ['queued'], status: 'active' });
    expect(view.state.effects.map((e) => e.type)).toEqual(['cancelTimer', 'startTimer']);
    expect(view.steps.map((s) => s.states[0])).toEqual(['uploaded', 'queued']);
    expect(view.events.map((e) => e.type)).toEqual([
      'JobUploaded',
      'JobQueued',
      'JobAttemptStarted',
      'JobClassified',
    ]);
    expect(view.mermaid).toContain('  class s_uploaded visited\n');
    expect(view.mermaid).toContain('  class s_queued current\n');
  });

  it('finds a stream by stream id or by bare worker id, and replays to the last event by default', async () => {
    const { debug } = await restartedOn();
    expect((await debug.inspect('job-a')).state.value).toBe('classified');
    const worker = await debug.inspect('w1');
    expect(worker).toMatchObject({
      streamId: 'worker-w1',
      kind: 'worker',
      k: 2,
      state: { value: 'running' },
    });
  });

  it('refuses an unknown stream and a step outside the stream with typed errors', async () => {
    const { debug } = await restartedOn();
    await expect(debug.inspect('job-zzz')).rejects.toThrow(UnknownStreamError);
    await expect(debug.inspect('controller')).rejects.toThrow(UnknownStreamError);
    await expect(debug.inspect('a', 5)).rejects.toThrow(StepOutOfRangeError);
    await expect(debug.inspect('a', 0)).rejects.toThrow('k must be a whole number from 1 to 4');
  });
});
