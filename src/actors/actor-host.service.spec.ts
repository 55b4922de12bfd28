import { Logger } from '@nestjs/common';
import { InMemoryEventStore } from '../adapters/memory/in-memory-event-store';
import { ManualClock } from '../clock/manual-clock';
import { Upcaster } from '../events/upcaster';
import { ActorExistsError, UnknownActorError, UnknownStreamKindError } from './actor-host.errors';
import { ActorHost } from './actor-host.service';
import { SET_ASIDE_STREAM } from './set-aside';
import { ActorKind, CONTROLLER, CONTROLLER_STREAM, JOB, WEBHOOK, WORKER } from './actor-kinds';
import { EffectHandlers } from './effect-handlers';

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

type Handlers = Parameters<ActorHost['handle']>[1];

/**
 * A host over an in-memory log whose handlers record each call as `effect:params`; `overrides`
 * replace the handlers of one kind's effects by name.
 */
async function setUp(
  overrides: {
    job?: Partial<EffectHandlers<typeof JOB.effects>>;
    controller?: Partial<EffectHandlers<typeof CONTROLLER.effects>>;
  } = {},
  store = new InMemoryEventStore(new ManualClock()),
  clock = new ManualClock(),
) {
  const host = new ActorHost(store, clock, new Upcaster());
  const calls: string[] = [];
  const recordAll = (kind: ActorKind, own: object = {}) =>
    host.handle(kind, {
      ...Object.fromEntries(
        Object.keys(kind.effects).map((effect) => [
          effect,
          (params: object) => void calls.push(`${effect}:${JSON.stringify(params)}`),
        ]),
      ),
      ...own,
    } as Handlers);
  recordAll(JOB, overrides.job);
  recordAll(WORKER);
  recordAll(CONTROLLER, overrides.controller);
  recordAll(WEBHOOK);
  await host.onModuleInit();
  host.onApplicationBootstrap();
  return { clock, store, host, calls };
}

/** Lets effects run and their backoff timers fire, a second of manual time per turn, then settles. */
async function runRetries(host: ActorHost, clock: ManualClock, turns = 20): Promise<void> {
  for (let i = 0; i < turns; i++) {
    await new Promise((resolve) => setImmediate(resolve));
    clock.advance(1_000);
  }
  await host.settle();
}

const enqueued = (jobId: string) =>
  `enqueueJob:${JSON.stringify({ jobId, fileName: `${jobId}.jpg`, contentType: 'image/jpeg', alone: false })}`;

describe('ActorHost', () => {
  it('creates an actor from its creation event, appends it and runs the entry effect after the append', async () => {
    const { host, store, calls } = await setUp();
    const result = await host.dispatch(JOB.streamId('a'), upload('a'));
    await host.settle();

    expect(result.accepted).toBe(true);
    expect((await store.readStream('job-a')).map((e) => e.type)).toEqual(['JobUploaded']);
    expect(calls).toEqual([enqueued('a')]);
    expect((await host.find('job-a'))?.snapshot.value).toBe('uploaded');
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

  it('lets a finished job leave memory: later events fold its stream again and are ignored, a second upload refused', async () => {
    const { host, store } = await setUp();
    await host.dispatch(JOB.streamId('a'), upload('a'));
    await host.dispatch(JOB.streamId('a'), classified);
    expect(host.get('job-a')).toBeDefined();
    await host.dispatch(JOB.streamId('a'), { type: 'JobReported' });
    const position = await store.lastPosition();

    expect(host.get('job-a')).toBeUndefined();
    expect(host.list(JOB)).toEqual([]);
    expect(await host.find('job-a')).toMatchObject({
      version: 3,
      snapshot: { value: 'reported', status: 'done' },
    });
    expect(await host.dispatch(JOB.streamId('a'), classified)).toMatchObject({
      accepted: false,
      reason: 'ignored',
    });
    await expect(host.dispatch(JOB.streamId('a'), upload('a'))).rejects.toBeInstanceOf(ActorExistsError);
    expect(await store.lastPosition()).toBe(position);
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

  it('appends the events of commands dispatched to one stream together in one append, each with its own outcome', async () => {
    const { host, store } = await setUp();
    await host.dispatch(JOB.streamId('a'), upload('a'));
    const append = jest.spyOn(store, 'append');
    const outcomes = await Promise.allSettled([
      host.dispatch(JOB.streamId('a'), { type: 'JobQueued', messageId: 'm1' }),
      host.dispatch(JOB.streamId('a'), upload('a')),
      host.dispatch(JOB.streamId('a'), classified),
      host.dispatch(JOB.streamId('a'), classified),
      host.dispatch(JOB.streamId('b'), classified),
    ]);

    expect(append).toHaveBeenCalledTimes(1);
    expect(append.mock.calls[0].slice(0, 1)).toEqual(['job-a']);
    expect((await store.readStream('job-a')).map((e) => e.type)).toEqual([
      'JobUploaded',
      'JobQueued',
      'JobClassified',
    ]);
    const [queued, again, first, duplicate, unknown] = outcomes;
    expect(queued).toMatchObject({ status: 'fulfilled', value: { accepted: true, event: { version: 2 } } });
    expect(again).toMatchObject({ status: 'rejected', reason: expect.any(ActorExistsError) });
    expect(first).toMatchObject({ status: 'fulfilled', value: { accepted: true, event: { version: 3 } } });
    // Ignored by the state the command before it left, and answered with that state.
    expect(duplicate).toMatchObject({
      status: 'fulfilled',
      value: { accepted: false, reason: 'ignored', actor: { version: 3 } },
    });
    expect(unknown).toMatchObject({ status: 'rejected', reason: expect.any(UnknownActorError) });
  });

  it('lets effects dispatch follow-up events, which settle() waits for', async () => {
    const { host } = await setUp({
      job: {
        reportResult: ({ jobId }, { host: h }) => h.dispatch(JOB.streamId(jobId), { type: 'JobReported' }),
      },
    });
    await host.dispatch(JOB.streamId('a'), upload('a'));
    await host.dispatch(JOB.streamId('a'), classified);
    await host.settle();
    expect((await host.find('job-a'))?.snapshot.value).toBe('reported');
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
    await host.dispatch(WORKER.streamId('w1'), { type: 'WorkerJobsStarted', jobs: [{ jobId: 'j1' }] });

    clock.advance(10_000);
    await host.settle();

    expect(host.get('worker-w1')?.snapshot.value).toBe('running');
    expect((await store.readStream('worker-w1')).map((e) => e.type)).not.toContain(
      'WorkerIdleTimeoutElapsed',
    );
  });

  it('refuses to go live while a kind with effects has no handlers', async () => {
    const clock = new ManualClock();
    const host = new ActorHost(new InMemoryEventStore(clock), clock, new Upcaster());
    host.handle(JOB, {
      enqueueJob: () => undefined,
      reportResult: () => undefined,
      reportFailure: () => undefined,
    });
    await host.onModuleInit();
    await expect(host.onApplicationBootstrap()).rejects.toThrow(
      /No handlers for the effects of: worker, controller/,
    );
  });

  it('types the handlers from the machine’s declarations: a missing, misspelled or mistyped one does not compile', () => {
    const clock = new ManualClock();
    const host = new ActorHost(new InMemoryEventStore(clock), clock, new Upcaster());
    const none = () => undefined;
    // @ts-expect-error reportFailure is missing
    host.handle(JOB, { enqueueJob: none, reportResult: none });
    // @ts-expect-error enqueueJbo is not an effect of the job machine
    expect(() => host.handle(JOB, { enqueueJbo: none, reportResult: none, reportFailure: none })).toThrow(
      /two sets of handlers/,
    );
    const readsWorkerId = (params: { workerId: string }) => params.workerId;
    const mistyped = { enqueueJob: readsWorkerId, reportResult: none, reportFailure: none };
    // @ts-expect-error a job's enqueue params have no workerId
    expect(() => host.handle(JOB, mistyped)).toThrow(/two sets of handlers/);
  });

  it('refuses two sets of handlers for one kind', async () => {
    const { host } = await setUp();
    expect(() =>
      host.handle(JOB, {
        enqueueJob: () => undefined,
        reportResult: () => undefined,
        reportFailure: () => undefined,
      }),
    ).toThrow(/two sets of handlers/);
  });
});

describe('ActorHost: effects resume after a crash', () => {
  /** A log as a crash left it: each event committed, none of its effects run. */
  async function crashedLog(streams: Record<string, Array<{ type: string; data: Record<string, unknown> }>>) {
    const store = new InMemoryEventStore(new ManualClock());
    for (const [streamId, events] of Object.entries(streams))
      await store.append(streamId, events, 'no_stream');
    return store;
  }
  const uploadedEvent = (jobId: string) => {
    const { type, ...data } = upload(jobId);
    return { type, data: { ...data, at: 1 } };
  };

  it('runs again, once, the effects each actor’s state still owes', async () => {
    const store = await crashedLog({
      'job-a': [uploadedEvent('a')],
      'job-b': [uploadedEvent('b'), { type: 'JobQueued', data: { messageId: 'm', at: 2 } }],
      'job-c': [uploadedEvent('c'), { type: 'JobClassified', data: { ...classified, at: 3 } }],
    });
    const { host, calls } = await setUp({}, store);
    await host.settle();
    expect(calls.sort()).toEqual(
      [
        enqueued('a'),
        `reportResult:${JSON.stringify({ jobId: 'c', label: 'tabby', top5: classified.top5 })}`,
      ].sort(),
    );
    expect([...host.owedEffects().keys()].sort()).toEqual(['job-a', 'job-c']);
  });

  it('owes nothing for a final state: its effects told clients who are gone after a restart', async () => {
    const store = await crashedLog({
      'job-a': [uploadedEvent('a'), { type: 'JobRejected', data: { reason: 'not an image', at: 2 } }],
    });
    const { host, calls } = await setUp({}, store);
    await host.settle();
    expect(calls).toEqual([]);
    expect(host.owedEffects().size).toBe(0);
  });

  it('resumes a scale-out cut short after its decision, so the controller does not stay in scalingOut', async () => {
    const decision = {
      action: 'scaleOut',
      desired: 1,
      capacity: 0,
      launch: 1,
      terminate: [],
      reason: 'below the minimum of 1',
    };
    const store = await crashedLog({
      controller: [
        { type: 'ControllerStarted', data: { settings: {}, cooldownMs: 1000, at: 0 } },
        { type: 'ScalingDecided', data: { decision, at: 1 } },
      ],
    });
    const { host } = await setUp(
      {
        controller: {
          launchWorkers: (_, { host: h }) =>
            h.dispatch(CONTROLLER_STREAM, {
              type: 'ScalingActionCompleted',
              launched: ['w1'],
              terminated: [],
            }),
        },
      },
      store,
    );
    await host.settle();
    expect(host.get(CONTROLLER_STREAM)?.snapshot.value).toBe('cooldown');
  });
});

describe('ActorHost: boot never fails on data', () => {
  it('sets aside a stored event the machines cannot take, records it once, and boots on', async () => {
    const errors = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const store = new InMemoryEventStore(new ManualClock());
    await store.append(
      CONTROLLER_STREAM,
      [
        { type: 'ControllerStarted', data: { settings: {}, cooldownMs: 1000, at: 0 } },
        // Written by some other version: no decision in it, which the machine's guards need.
        { type: 'ScalingDecided', data: { at: 1 } },
      ],
      'no_stream',
    );
    const { type, ...data } = upload('a');
    await store.append('job-a', [{ type, data: { ...data, at: 2 } }], 'no_stream');

    const { host } = await setUp({}, store);
    await host.settle();
    expect(host.get(CONTROLLER_STREAM)?.snapshot.value).toBe('steady');
    expect((await host.find('job-a'))?.snapshot.value).toBe('uploaded');
    expect(host.replayStats.setAside).toBe(1);
    expect(errors).toHaveBeenCalledWith(
      expect.objectContaining({ streamId: CONTROLLER_STREAM, type: 'ScalingDecided', position: 2 }),
    );
    const recorded = await store.readStream(SET_ASIDE_STREAM);
    expect(recorded).toEqual([
      expect.objectContaining({
        type: 'RecordSetAside',
        data: expect.objectContaining({ position: 2, streamId: CONTROLLER_STREAM, type: 'ScalingDecided' }),
      }),
    ]);

    const again = await setUp({}, store);
    expect(again.host.replayStats.setAside).toBe(1);
    expect(await store.readStream(SET_ASIDE_STREAM)).toHaveLength(1);
    errors.mockRestore();
  });
});

describe('ActorHost: effects that throw', () => {
  const failing = (times: number, error = new Error('queue unreachable')) => {
    let calls = 0;
    const handler = jest.fn(async () => {
      if (++calls <= times) throw error;
    });
    return handler;
  };
  beforeEach(() => jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined));
  afterEach(() => jest.restoreAllMocks());

  it('are retried with backoff until they succeed, each failed attempt logged with the actor', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const enqueueJob = failing(2);
    const { host, clock } = await setUp({ job: { enqueueJob } });
    await host.dispatch(JOB.streamId('a'), upload('a'));
    await runRetries(host, clock);
    expect(enqueueJob).toHaveBeenCalledTimes(3);
    expect(warn.mock.calls.map(([entry]) => entry)).toEqual([
      expect.objectContaining({ effect: 'enqueueJob', streamId: 'job-a', attempt: 1, retryInMs: 100 }),
      expect.objectContaining({ effect: 'enqueueJob', streamId: 'job-a', attempt: 2, retryInMs: 200 }),
    ]);
    expect((await host.find('job-a'))?.snapshot.value).toBe('uploaded');
  });

  it('give up after the last attempt and tell the actor why: the job fails with the reason', async () => {
    const enqueueJob = failing(Infinity);
    const { host, clock, store } = await setUp({ job: { enqueueJob } });
    await host.dispatch(JOB.streamId('a'), upload('a'));
    await runRetries(host, clock);
    expect(enqueueJob).toHaveBeenCalledTimes(5);
    expect((await store.readStream('job-a')).at(-1)).toMatchObject({
      type: 'EffectFailed',
      data: { effect: 'enqueueJob', reason: 'queue unreachable', attempts: 5 },
    });
    expect((await host.find('job-a'))?.snapshot.value).toBe('failed');
    expect((await host.find('job-a'))?.snapshot.context.error).toBe(
      'enqueueJob failed after 5 attempts: queue unreachable',
    );
  });

  it('give up at once on an error that says retrying cannot help', async () => {
    const enqueueJob = failing(Infinity, Object.assign(new Error('refused'), { retryable: false }));
    const { host, clock } = await setUp({ job: { enqueueJob } });
    await host.dispatch(JOB.streamId('a'), upload('a'));
    await runRetries(host, clock);
    expect(enqueueJob).toHaveBeenCalledTimes(1);
    expect((await host.find('job-a'))?.snapshot.value).toBe('failed');
  });

  it('stop retrying once the actor has moved on without them', async () => {
    const enqueueJob = failing(Infinity);
    const { host, clock } = await setUp({ job: { enqueueJob } });
    await host.dispatch(JOB.streamId('a'), upload('a'));
    await new Promise((resolve) => setImmediate(resolve));
    await host.dispatch(JOB.streamId('a'), { type: 'JobQueued', messageId: 'm' });
    await runRetries(host, clock);
    expect(enqueueJob).toHaveBeenCalledTimes(1);
    expect((await host.find('job-a'))?.snapshot.value).toBe('queued');
  });
});
