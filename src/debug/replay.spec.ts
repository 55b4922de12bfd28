import { withoutTimers } from '../../state-machines/timers';
import { controllerMachine } from '../../state-machines/controller.machine';
import { jobMachine } from '../../state-machines/job.machine';
import { workerMachine } from '../../state-machines/worker.machine';
import { StepOutOfRangeError } from './debug.errors';
import { pathOf, replayTo, StreamEvent } from './replay';

const jobHistory: StreamEvent[] = [
  {
    type: 'JobUploaded',
    data: { jobId: 'j1', fileName: 'cat.jpg', contentType: 'image/jpeg', sizeBytes: 9, at: 1 },
  },
  { type: 'JobQueued', data: { messageId: 'm1', at: 2 } },
  { type: 'JobAttemptStarted', data: { workerId: 'w1', attempt: 1, at: 3 } },
  { type: 'JobClassified', data: { workerId: 'w1', label: 'tabby', top5: [], at: 4 } },
  { type: 'JobReported', data: { at: 5 } },
];

describe('replayTo: a stream folded up to event k', () => {
  it('gives the state after each event of a job, 1 … k', () => {
    const replay = replayTo(jobMachine, jobHistory, 5);
    expect(replay.steps.map((s) => [s.index, s.type, s.states])).toEqual([
      [1, 'JobUploaded', ['uploaded']],
      [2, 'JobQueued', ['queued']],
      [3, 'JobAttemptStarted', ['queued']],
      [4, 'JobClassified', ['classified']],
      [5, 'JobReported', ['reported']],
    ]);
    expect(replay.snapshot.status).toBe('done');
    expect(replay.snapshot.context).toMatchObject({ label: 'tabby', attempts: 1, reportedAt: 5 });
  });

  it.each([
    [1, 'uploaded', { attempts: 0 }],
    [2, 'queued', { messageId: 'm1', attempts: 0 }],
    [3, 'queued', { attempts: 1, workerId: 'w1' }],
    [4, 'classified', { label: 'tabby' }],
  ])('stops after event %i: state %s, context as it was then', (k, state, context) => {
    const replay = replayTo(jobMachine, jobHistory, k);
    expect(replay.k).toBe(k);
    expect(replay.steps).toHaveLength(k);
    expect(replay.snapshot.value).toBe(state);
    expect(replay.snapshot.context).toMatchObject(context);
    if (k < 4) expect(replay.snapshot.context.label).toBeUndefined();
  });

  it('reports the effects each event asked for, without running them', () => {
    const replay = replayTo(jobMachine, jobHistory, 4);
    expect(withoutTimers(replay.steps[0].effects)).toEqual([
      {
        type: 'enqueueJob',
        params: { jobId: 'j1', fileName: 'cat.jpg', contentType: 'image/jpeg', alone: false },
      },
    ]);
    expect(withoutTimers(replay.steps[1].effects)).toEqual([]);
    expect(withoutTimers(replay.steps[3].effects)).toEqual([
      { type: 'reportResult', params: { jobId: 'j1', label: 'tabby', top5: [] } },
    ]);
  });

  it('flags a stored event the machine ignores, and keeps the state', () => {
    const events = [...jobHistory.slice(0, 2), { type: 'JobReported', data: { at: 3 } }];
    const steps = replayTo(jobMachine, events, 3).steps;
    expect(steps.map((s) => s.changed)).toEqual([true, true, false]);
    expect(steps[2].states).toEqual(['queued']);
  });

  it('replays a worker and the controller from their creating events', () => {
    const worker = replayTo(
      workerMachine,
      [
        { type: 'WorkerLaunchRequested', data: { workerId: 'w1', reason: 'min', at: 0 } },
        { type: 'WorkerStarted', data: { instanceId: 'p1', at: 1 } },
        { type: 'WorkerIdleTimeoutElapsed', data: { at: 2 } },
      ],
      3,
    );
    expect(worker.steps.map((s) => s.states[0])).toEqual(['pending', 'running', 'idle']);
    const controller = replayTo(
      controllerMachine,
      [{ type: 'ControllerStarted', data: { settings: {}, at: 0 } }],
      1,
    );
    expect(controller.snapshot.value).toBe('steady');
  });

  it.each([0, 6, -1, 2.5, Number.NaN])('refuses k = %p with the range in the reason', (k) => {
    expect(() => replayTo(jobMachine, jobHistory, k)).toThrow(StepOutOfRangeError);
    expect(() => replayTo(jobMachine, jobHistory, k)).toThrow(/from 1 to 5/);
  });

  it('refuses an empty stream', () => {
    expect(() => replayTo(jobMachine, [], 1)).toThrow('the stream has no events');
  });
});

describe('pathOf', () => {
  it('lists the states passed through, each once, in the order first entered', () => {
    const events = [
      { type: 'WorkerLaunchRequested', data: { workerId: 'w1', reason: 'min', at: 0 } },
      { type: 'WorkerStarted', data: { instanceId: 'p1', at: 1 } },
      { type: 'WorkerIdleTimeoutElapsed', data: { at: 2 } },
      { type: 'WorkerJobStarted', data: { jobId: 'j', at: 3 } },
    ];
    expect(pathOf(replayTo(workerMachine, events, 4).steps)).toEqual(['pending', 'running', 'idle']);
  });
});
