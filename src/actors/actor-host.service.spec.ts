import { Logger } from '@nestjs/common';
import { InMemoryEventStore } from '../adapters/memory/in-memory-event-store';
import { ManualClock } from '../clock/manual-clock';
import { Upcaster } from '../events/upcaster';
import { ActorExistsError, UnknownActorError, UnknownStreamKindError } from './actor-host.errors';
import { ActorHost } from './actor-host.service';
import { JOB, WORKER } from './actor-kinds';
import { EffectRegistry } from './effect-registry';

const upload = (jobId: string) => ({
  type: 'JobUploaded',
  jobId,
  fileName: `${jobId}.jpg`,
  contentType: 'image/jpeg',
  sizeBytes: 10,
});
const classified = {
  type: 'JobClassified',
  workerId: 'w1',
  label: 'tabby',
  top5: [{ label: 'tabby', probability: 1 }],
};

async function setUp(register?: (registry: EffectRegistry, host: ActorHost) => void) {
  const clock = new ManualClock();
  const store = new InMemoryEventStore(clock);
  const registry = new EffectRegistry();
  const host = new ActorHost(store, clock, registry, new Upcaster());
  const calls: string[] = [];
  for (const effect of [
    'enqueueJob',
    'reportResult',
    'reportFailure',
    'launchWorker',
    'stopWorker',
    'releaseJobs',
    'launchWorkers',
    'terminateWorkers',
  ]) {
    if (effect === 'reportResult' && register) continue;
    registry.register(effect, (params) => void calls.push(`${effect}:${JSON.stringify(params)}`));
  }
  register?.(registry, host);
  await host.onModuleInit();
  host.onApplicationBootstrap();
  return { clock, store, registry, host, calls };
}

describe('ActorHost', () => {
  it('creates an actor from its creation event, appends it and runs the entry effect after the append', async () => {
    const { host, store, calls } = await setUp();
    const result = await host.dispatch(JOB.streamId('a'), upload('a'));
    await host.settle();

    expect(result.accepted).toBe(true);
    expect((await store.readStream('job-a')).map((e) => e.type)).toEqual(['JobUploaded']);
    expect(calls).toEqual(['enqueueJob:{"jobId":"a"}']);
    expect(host.get('job-a')?.snapshot.value).toBe('uploaded');
  });

  it('stamps events with the clock when the caller gives no time', async () => {
    const { host, store, clock } = await setUp();
    await host.dispatch(JOB.streamId('a'), upload('a'));
    expect((await store.readStream('job-a'))[0].data.at).toBe(clock.now());
  });

  it('refuses a result for an unknown job with a typed error, writing nothing', async () => {
    const { host, store } = await setUp();
    await expect(host.dispatch(JOB.streamId('ghost'), classified)).rejects.toBeInstanceOf(UnknownActorError);
    expect(await store.lastPosition()).toBe(0);
  });

  it('refuses to create an actor twice', async () => {
    const { host } = await setUp();
    await host.dispatch(JOB.streamId('a'), upload('a'));
    await expect(host.dispatch(JOB.streamId('a'), upload('a'))).rejects.toBeInstanceOf(ActorExistsError);
  });

  it('refuses events on streams no machine owns', async () => {
    const { host } = await setUp();
    await expect(host.dispatch('invoice-1', { type: 'Paid' })).rejects.toBeInstanceOf(UnknownStreamKindError);
  });

  it('appends nothing and runs nothing for an event the machine ignores (a duplicate result)', async () => {
    const { host, store, calls } = await setUp();
    await host.dispatch(JOB.streamId('a'), upload('a'));
    await host.dispatch(JOB.streamId('a'), classified);
    await host.dispatch(JOB.streamId('a'), { type: 'JobReported' });
    await host.settle();
    const before = { position: await store.lastPosition(), calls: calls.length };

    const duplicate = await host.dispatch(JOB.streamId('a'), classified);
    await host.settle();

    expect(duplicate).toMatchObject({ accepted: false, reason: 'ignored' });
    expect(await store.lastPosition()).toBe(before.position);
    expect(calls).toHaveLength(before.calls);
  });

  it('serialises concurrent dispatches to one stream, so each sees the state the previous one left', async () => {
    const { host, store } = await setUp();
    await host.dispatch(JOB.streamId('a'), upload('a'));
    const results = await Promise.all([
      host.dispatch(JOB.streamId('a'), { type: 'JobQueued', messageId: 'm1' }),
      host.dispatch(JOB.streamId('a'), classified),
      host.dispatch(JOB.streamId('a'), classified),
    ]);
    expect(results.map((r) => r.accepted)).toEqual([true, true, false]);
    expect((await store.readStream('job-a')).map((e) => e.version)).toEqual([1, 2, 3]);
  });

  it('lets effects dispatch follow-up events, which settle() waits for', async () => {
    const { host } = await setUp((registry, h) =>
      registry.register('reportResult', ({ jobId }) =>
        h.dispatch(JOB.streamId(jobId as string), { type: 'JobReported' }),
      ),
    );
    await host.dispatch(JOB.streamId('a'), upload('a'));
    await host.dispatch(JOB.streamId('a'), classified);
    await host.settle();
    expect(host.get('job-a')?.snapshot.value).toBe('reported');
  });

  it('keeps going when an effect fails: the event stays recorded and later dispatches work', async () => {
    const errors = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const { host } = await setUp((registry) =>
      registry.register('reportResult', () => {
        throw new Error('subscriber gone');
      }),
    );
    await host.dispatch(JOB.streamId('a'), upload('a'));
    await host.dispatch(JOB.streamId('a'), classified);
    await host.settle();

    expect(errors).toHaveBeenCalledWith(
      expect.stringContaining('reportResult of job-a failed: subscriber gone'),
      expect.any(String),
    );
    expect(host.get('job-a')?.snapshot.value).toBe('classified');
    expect((await host.dispatch(JOB.streamId('a'), { type: 'JobReported' })).accepted).toBe(true);
    errors.mockRestore();
  });

  it('fires a machine timer on the clock and records the firing as an event', async () => {
    const { host, clock, store } = await setUp();
    await host.dispatch(WORKER.streamId('w1'), {
      type: 'WorkerLaunchRequested',
      workerId: 'w1',
      reason: 'test',
    });
    await host.dispatch(WORKER.streamId('w1'), { type: 'WorkerStarted', instanceId: 'pid-1' });

    clock.advance(5_000);
    await host.settle();

    expect(host.get('worker-w1')?.snapshot.value).toBe('idle');
    expect((await store.readStream('worker-w1')).at(-1)).toMatchObject({
      type: 'WorkerIdleTimeoutElapsed',
      data: { at: clock.now() },
    });
  });

  it('does not fire a timer the machine cancelled', async () => {
    const { host, clock, store } = await setUp();
    await host.dispatch(WORKER.streamId('w1'), {
      type: 'WorkerLaunchRequested',
      workerId: 'w1',
      reason: 'test',
    });
    await host.dispatch(WORKER.streamId('w1'), { type: 'WorkerStarted', instanceId: 'pid-1' });
    await host.dispatch(WORKER.streamId('w1'), { type: 'WorkerJobStarted', jobId: 'j1' });

    clock.advance(10_000);
    await host.settle();

    expect(host.get('worker-w1')?.snapshot.value).toBe('running');
    expect((await store.readStream('worker-w1')).map((e) => e.type)).not.toContain(
      'WorkerIdleTimeoutElapsed',
    );
  });

  it('refuses to go live with a handler for an effect no machine emits', async () => {
    const clock = new ManualClock();
    const registry = new EffectRegistry();
    registry.register('enqueueJbo', () => undefined);
    const host = new ActorHost(new InMemoryEventStore(clock), clock, registry, new Upcaster());
    await host.onModuleInit();
    expect(() => host.onApplicationBootstrap()).toThrow(/enqueueJbo/);
  });

  it('refuses to go live while an effect the machines emit has no handler', async () => {
    const clock = new ManualClock();
    const registry = new EffectRegistry();
    registry.register('enqueueJob', () => undefined);
    const host = new ActorHost(new InMemoryEventStore(clock), clock, registry, new Upcaster());
    await host.onModuleInit();
    expect(() => host.onApplicationBootstrap()).toThrow(
      /No handler for effects: reportResult, reportFailure/,
    );
  });

  it('refuses two handlers for one effect', () => {
    const registry = new EffectRegistry();
    registry.register('enqueueJob', () => undefined);
    expect(() => registry.register('enqueueJob', () => undefined)).toThrow(/two handlers/);
  });
});
