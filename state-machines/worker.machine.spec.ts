import { start } from './fold';
import { workerMachine, WorkerInput } from './worker.machine';
import { given } from './testing/given';

const launched: WorkerInput = {
  workerId: 'w1',
  reason: 'backlog',
  heartbeatTimeoutMs: 30_000,
  idleTimeoutMs: 5_000,
  at: 0,
};
const started = {
  type: 'WorkerStarted',
  instanceId: 'pid-42',
  modelId: 'mobilenet_v2_1.0_224_quant',
  at: 100,
};
const heartbeat = (at: number) => ({ type: 'WorkerHeartbeat', at });
const jobStarted = (jobId: string, at = 200) => ({ type: 'WorkerJobsStarted', jobs: [{ jobId }], at });
const jobFinished = (jobId: string, at = 300) => ({ type: 'WorkerJobsFinished', jobIds: [jobId], at });
const idleElapsed = { type: 'WorkerIdleTimeoutElapsed', at: 5300 };
const missed = { type: 'WorkerHeartbeatMissed', at: 40_000 };
const terminate = { type: 'WorkerTerminationRequested', reason: 'scale in', at: 6000 };
const stopped = { type: 'WorkerStopped', exitCode: 0, signal: null, at: 7000 };

const liveness = {
  type: 'startTimer',
  params: { timerId: 'liveness', delayMs: 30_000, eventType: 'WorkerHeartbeatMissed' },
};
const idleTimer = {
  type: 'startTimer',
  params: { timerId: 'idle', delayMs: 5_000, eventType: 'WorkerIdleTimeoutElapsed' },
};
const cancel = (timerId: string) => ({ type: 'cancelTimer', params: { timerId } });

describe('worker machine', () => {
  it('starts pending, asks for the instance to be launched and arms the liveness timer', () => {
    const { snapshot, effects } = start(workerMachine, launched);
    expect(snapshot.value).toBe('pending');
    expect(effects).toEqual([{ type: 'launchWorker', params: { workerId: 'w1' } }, liveness]);
  });

  it('gives its boot bootTimeoutMs when the launch names one, and the heartbeats heartbeatTimeoutMs once started', () => {
    const { effects } = start(workerMachine, { ...launched, bootTimeoutMs: 120_000 });
    expect(effects[1]).toEqual({ ...liveness, params: { ...liveness.params, delayMs: 120_000 } });
    const then = given(workerMachine, { ...launched, bootTimeoutMs: 120_000 }).when(started);
    expect(then.effects).toEqual([idleTimer, liveness]);
  });

  it('pending → running on its first sign of life, arming liveness and idle timers', () => {
    const then = given(workerMachine, launched).when(started);
    expect(then.snapshot.value).toBe('running');
    expect(then.snapshot.context).toMatchObject({
      instanceId: 'pid-42',
      modelId: 'mobilenet_v2_1.0_224_quant',
      startedAt: 100,
      lastSeenAt: 100,
    });
    expect(then.effects).toEqual([idleTimer, liveness]);
  });

  it('pending → lost when it never starts', () => {
    const then = given(workerMachine, launched).when({ type: 'WorkerHeartbeatMissed', at: 30_000 });
    expect(then.snapshot.value).toBe('lost');
    expect(then.snapshot.context.stopReason).toBe('did not start in time');
    expect(then.effects).toContainEqual({ type: 'stopWorker', params: { workerId: 'w1', force: true } });
  });

  it.each([
    ['pending', [], 'launchWorker'],
    ['terminating', [started, idleElapsed, terminate], 'stopWorker'],
  ])('%s → lost when its effect keeps failing, stopping it by force', (state, history, effect) => {
    const { snapshot, when } = given(workerMachine, launched, ...history);
    expect(snapshot.value).toBe(state);
    const then = when({ type: 'EffectFailed', effect, reason: 'no capacity', attempts: 5, at: 9000 });
    expect(then.snapshot.value).toBe('lost');
    expect(then.snapshot.context.stopReason).toBe(`${effect} failed: no capacity`);
    expect(then.effects).toContainEqual(
      expect.objectContaining({ type: 'stopWorker', params: expect.objectContaining({ force: true }) }),
    );
  });

  it('a heartbeat a quarter of the timeout after the last report re-arms the liveness timer', () => {
    const then = given(workerMachine, launched, started).when(heartbeat(100 + 7_500));
    expect(then.snapshot.value).toBe('running');
    expect(then.snapshot.context.lastSeenAt).toBe(7_600);
    expect(then.effects).toEqual([liveness]);
  });

  it('ignores a heartbeat sooner than that: nothing to re-arm, nothing written', () => {
    const then = given(workerMachine, launched, started).when(heartbeat(100 + 7_499));
    expect(then.changed).toBe(false);
  });

  it('taking a job records it and cancels the idle timer', () => {
    const then = given(workerMachine, launched, started).when(jobStarted('j1'));
    expect(then.snapshot.context.jobsInHand).toEqual(['j1']);
    expect(then.effects).toEqual([liveness, cancel('idle')]);
  });

  it('finishing its job clears it, counts it and arms the idle timer', () => {
    const then = given(workerMachine, launched, started, jobStarted('j1')).when(jobFinished('j1'));
    expect(then.snapshot.context).toMatchObject({ jobsInHand: [], jobsDone: 1 });
    expect(then.effects).toEqual([liveness, idleTimer]);
  });

  it('ignores a finish for a job it does not hold', () => {
    const then = given(workerMachine, launched, started, jobStarted('j1')).when(jobFinished('j9'));
    expect(then.changed).toBe(false);
  });

  it('running → idle when the idle timeout elapses without a job', () => {
    const then = given(workerMachine, launched, started).when(idleElapsed);
    expect(then.snapshot.value).toBe('idle');
  });

  it('running → idle at once when it reports an empty receive, holding no job', () => {
    const queueEmpty = { type: 'WorkerQueueEmpty', seq: 5, at: 400 };
    const then = given(workerMachine, launched, started, jobStarted('j1'), jobFinished('j1')).when(
      queueEmpty,
    );
    expect(then.snapshot.value).toBe('idle');
    expect(then.snapshot.context).toMatchObject({ idleSince: 400, lastSeenAt: 400, lastSeq: 5 });
    expect(then.effects).toEqual([cancel('idle')]);
    // Not while it holds a job, nor when the report is older than the last one taken.
    expect(given(workerMachine, launched, started, jobStarted('j1')).when(queueEmpty).changed).toBe(false);
    const newer = { ...jobStarted('j2'), seq: 9 };
    expect(
      given(workerMachine, launched, started, newer, { ...jobFinished('j2'), seq: 10 }).when(queueEmpty)
        .changed,
    ).toBe(false);
  });

  it('stays running if a stale idle timeout arrives while it holds a job', () => {
    const then = given(workerMachine, launched, started, jobStarted('j1')).when(idleElapsed);
    expect(then.changed).toBe(false);
  });

  it('idle → running when it takes a job', () => {
    const then = given(workerMachine, launched, started, idleElapsed).when(jobStarted('j2', 6000));
    expect(then.snapshot.value).toBe('running');
    expect(then.snapshot.context.jobsInHand).toEqual(['j2']);
  });

  it('idle → terminating on request, asking for a graceful stop', () => {
    const then = given(workerMachine, launched, started, idleElapsed).when(terminate);
    expect(then.snapshot.value).toBe('terminating');
    expect(then.snapshot.context.stopReason).toBe('scale in');
    expect(then.effects).toEqual([
      cancel('idle'),
      { type: 'stopWorker', params: { workerId: 'w1', instanceId: 'pid-42', force: false } },
    ]);
  });

  it('refuses to terminate a busy worker', () => {
    const then = given(workerMachine, launched, started, jobStarted('j1')).when(terminate);
    expect(then.changed).toBe(false);
    expect(then.snapshot.value).toBe('running');
  });

  it('running without a job → terminating on request', () => {
    const then = given(workerMachine, launched, started).when(terminate);
    expect(then.snapshot.value).toBe('terminating');
  });

  it('terminating → terminated when the process stops, a final state', () => {
    const then = given(workerMachine, launched, started, idleElapsed, terminate).when(stopped);
    expect(then.snapshot.value).toBe('terminated');
    expect(then.snapshot.status).toBe('done');
    expect(then.effects).toEqual([cancel('liveness')]);
  });

  it.each([
    ['running', [started]],
    ['idle', [started, idleElapsed]],
  ])('%s → lost when heartbeats stop, forcing the instance down', (_state, history) => {
    const then = given(workerMachine, launched, ...history).when(missed);
    expect(then.snapshot.value).toBe('lost');
    expect(then.effects).toContainEqual({
      type: 'stopWorker',
      params: { workerId: 'w1', instanceId: 'pid-42', force: true },
    });
  });

  it('running → lost when the process exits unasked, keeping the job it held for the record', () => {
    const then = given(workerMachine, launched, started, jobStarted('j1')).when(stopped);
    expect(then.snapshot.value).toBe('lost');
    expect(then.snapshot.context).toMatchObject({ stopReason: 'exited unasked', jobsInHand: ['j1'] });
  });

  it('on exiting unasked, asks for the request messages of the jobs in hand to be released at once', () => {
    const held = (jobId: string, receiptHandle: string) => ({
      type: 'WorkerJobsStarted',
      jobs: [{ jobId, receiptHandle }],
      at: 200,
    });
    const then = given(
      workerMachine,
      launched,
      started,
      held('j1', 'r1'),
      held('j2', 'r2'),
      held('j3', 'r3'),
      jobFinished('j2'),
    ).when(stopped);

    expect(then.effects).toContainEqual({
      type: 'releaseJobs',
      params: {
        workerId: 'w1',
        jobs: [
          { jobId: 'j1', receiptHandle: 'r1' },
          { jobId: 'j3', receiptHandle: 'r3' },
        ],
        held: 2,
      },
    });
  });

  it('releases nothing for jobs whose start reports carried no receipt handle', () => {
    const then = given(workerMachine, launched, started, jobStarted('j1')).when(stopped);
    expect(then.effects).toContainEqual({
      type: 'releaseJobs',
      params: { workerId: 'w1', jobs: [], held: 1 },
    });
  });

  it('lost → terminated once the instance is confirmed stopped', () => {
    const then = given(workerMachine, launched, started, missed).when(stopped);
    expect(then.snapshot.value).toBe('terminated');
  });

  it.each([
    ['WorkerStarted', started],
    ['WorkerHeartbeat', heartbeat(9000)],
    ['WorkerJobsStarted', jobStarted('j3', 9000)],
  ])('cannot go from terminated back to running (%s is ignored)', (_type, event) => {
    const { snapshot, when } = given(workerMachine, launched, started, terminate, stopped);
    const then = when(event);
    expect(then.changed).toBe(false);
    expect(then.snapshot).toBe(snapshot);
  });

  it('ignores WorkerStarted when already running', () => {
    const then = given(workerMachine, launched, started).when({ ...started, at: 500 });
    expect(then.changed).toBe(false);
  });
});

describe('worker machine: reports out of order', () => {
  const report = <T extends object>(event: T, seq: number) => ({ ...event, seq });

  it('takes a newer start report while running as a restart of the process: no job in hand, timers re-armed', () => {
    const then = given(workerMachine, launched, report(started, 1), report(jobStarted('j1'), 2)).when(
      report({ ...started, instanceId: 'i-1', at: 900 }, 5_000),
    );
    expect(then.snapshot.value).toBe('running');
    expect(then.snapshot.context).toMatchObject({
      jobsInHand: [],
      lastSeq: 5_000,
      startedAt: 900,
      restarts: 1,
    });
    expect(then.effects).toEqual([liveness, idleTimer]);
  });

  it('takes a newer start report while idle back to running', () => {
    const then = given(workerMachine, launched, report(started, 1), idleElapsed).when(report(started, 7));
    expect(then.snapshot.value).toBe('running');
    expect(then.snapshot.context).toMatchObject({ restarts: 1, lastSeq: 7 });
  });

  it('ignores a start report delivered twice (same number)', () => {
    const then = given(workerMachine, launched, report(started, 1), report(heartbeat(400), 2)).when(
      report(started, 1),
    );
    expect(then.changed).toBe(false);
  });

  it('ignores a report older than the last one taken (the queue does not keep order)', () => {
    const then = given(
      workerMachine,
      launched,
      report(started, 1),
      report(jobStarted('j1'), 2),
      report(jobFinished('j1'), 3),
    ).when(report(jobStarted('j1'), 2));
    expect(then.changed).toBe(false);
    expect(then.snapshot.context).toMatchObject({ jobsInHand: [], lastSeq: 3 });
  });

  it('takes reports with a higher sequence number and records it', () => {
    const then = given(workerMachine, launched, report(started, 1)).when(report(heartbeat(8_000), 7));
    expect(then.snapshot.context).toMatchObject({ lastSeq: 7, lastSeenAt: 8_000 });
  });
});

describe('worker machine: jobs taken in batches', () => {
  it('holds every job of a batch and arms the idle timer only when the last one is finished', () => {
    const { snapshot, when } = given(workerMachine, launched, started, jobStarted('j1'), jobStarted('j2'));
    expect(snapshot.context.jobsInHand).toEqual(['j1', 'j2']);

    const first = when(jobFinished('j1'));
    expect(first.snapshot.context).toMatchObject({ jobsInHand: ['j2'], jobsDone: 1 });
    expect(first.effects).toEqual([liveness]);

    const last = given(
      workerMachine,
      launched,
      started,
      jobStarted('j1'),
      jobStarted('j2'),
      jobFinished('j1'),
    ).when(jobFinished('j2'));
    expect(last.snapshot.context).toMatchObject({ jobsInHand: [], jobsDone: 2 });
    expect(last.effects).toEqual([liveness, idleTimer]);
  });

  it('takes the jobs of one receive in one event, with their receipt handles, and finishes them in one', () => {
    const batch = {
      type: 'WorkerJobsStarted',
      jobs: [{ jobId: 'j1', receiptHandle: 'r1' }, { jobId: 'j2', receiptHandle: 'r2' }, { jobId: 'j3' }],
      seq: 4,
      at: 200,
    };
    const { snapshot, when } = given(workerMachine, launched, started, batch);
    expect(snapshot.context).toMatchObject({
      jobsInHand: ['j1', 'j2', 'j3'],
      receipts: { j1: 'r1', j2: 'r2' },
      lastSeq: 4,
    });

    const some = when({ type: 'WorkerJobsFinished', jobIds: ['j1', 'j3'], seq: 5, at: 300 });
    expect(some.snapshot.context).toMatchObject({ jobsInHand: ['j2'], receipts: { j2: 'r2' }, jobsDone: 2 });
    expect(some.effects).toEqual([liveness]);

    const all = when({ type: 'WorkerJobsFinished', jobIds: ['j1', 'j2', 'j3'], seq: 5, at: 300 });
    expect(all.snapshot.context).toMatchObject({ jobsInHand: [], receipts: {}, jobsDone: 3 });
    expect(all.effects).toEqual([liveness, idleTimer]);
  });

  it('counts only the jobs in hand when a finish names others too', () => {
    const then = given(workerMachine, launched, started, jobStarted('j1')).when({
      type: 'WorkerJobsFinished',
      jobIds: ['j0', 'j1'],
      at: 300,
    });
    expect(then.snapshot.context).toMatchObject({ jobsInHand: [], jobsDone: 1 });
  });

  it('folds the one-job events of logs recorded before batches as batches of one', () => {
    const { snapshot, when } = given(
      workerMachine,
      launched,
      started,
      { type: 'WorkerJobStarted', jobId: 'j1', receiptHandle: 'r1', at: 200 },
      { type: 'WorkerJobStarted', jobId: 'j2', at: 210 },
    );
    expect(snapshot.context).toMatchObject({ jobsInHand: ['j1', 'j2'], receipts: { j1: 'r1' } });
    const first = when({ type: 'WorkerJobFinished', jobId: 'j1', at: 300 });
    expect(first.snapshot.context).toMatchObject({ jobsInHand: ['j2'], receipts: {}, jobsDone: 1 });
    expect(first.effects).toEqual([liveness]);
  });

  it('refuses termination while any job of the batch is in hand', () => {
    const then = given(
      workerMachine,
      launched,
      started,
      jobStarted('j1'),
      jobStarted('j2'),
      jobFinished('j1'),
    ).when(terminate);
    expect(then.changed).toBe(false);
  });
});
