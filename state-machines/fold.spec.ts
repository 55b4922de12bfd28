import { initialTransition, raise, setup, transition } from 'xstate';
import { effectsOf, foldEvents, start, step, UnsupportedActionError } from './fold';
import { jobMachine } from './job.machine';
import { workerMachine } from './worker.machine';

describe('fold: start and step', () => {
  it("agree with xstate's pure initialTransition / transition, state and actions alike", () => {
    const input = { workerId: 'w1', reason: 'test', at: 0 };
    const events = [
      { type: 'WorkerStarted', instanceId: 'p1', at: 1 },
      { type: 'WorkerJobStarted', jobId: 'j1', at: 2 },
      { type: 'WorkerTerminationRequested', reason: 'refused: busy', at: 3 },
      { type: 'WorkerJobFinished', jobId: 'j1', at: 4 },
      { type: 'WorkerIdleTimeoutElapsed', at: 5 },
      { type: 'WorkerTerminationRequested', reason: 'scale in', at: 6 },
      { type: 'WorkerStopped', exitCode: 0, signal: null, at: 7 },
    ];
    let [expected, expectedActions] = initialTransition(workerMachine, input);
    let ours = start(workerMachine, input);
    expect(ours.snapshot.value).toEqual(expected.value);
    expect(ours.effects).toEqual(effectsOf(expectedActions));
    for (const event of events) {
      [expected, expectedActions] = transition(workerMachine, expected, event as never);
      ours = step(workerMachine, ours.snapshot, event);
      expect({
        value: ours.snapshot.value,
        context: ours.snapshot.context,
        status: ours.snapshot.status,
      }).toEqual({
        value: expected.value,
        context: expected.context,
        status: expected.status,
      });
      expect(ours.effects).toEqual(effectsOf(expectedActions));
    }
  });

  it('keeps each call independent: effects of one step never leak into the next', () => {
    const first = start(jobMachine, {
      jobId: 'a',
      fileName: 'a.jpg',
      contentType: 'image/jpeg',
      sizeBytes: 1,
      at: 0,
    });
    const second = step(jobMachine, first.snapshot, { type: 'JobQueued', messageId: 'm', at: 1 });
    expect(first.effects.map((e) => e.type)).toEqual(['enqueueJob', 'startTimer']);
    expect(second.effects.map((e) => e.type)).toEqual(['cancelTimer', 'startTimer']);
  });
});

describe('foldEvents', () => {
  it('starts the machine with the first event and steps it with each later one', () => {
    const steps = foldEvents(jobMachine, [
      {
        type: 'JobUploaded',
        data: { jobId: 'a', fileName: 'a.jpg', contentType: 'image/jpeg', sizeBytes: 1, at: 0 },
      },
      { type: 'JobQueued', data: { messageId: 'm', at: 1 } },
      { type: 'JobReported', data: { at: 2 } },
    ]);
    expect(steps.map((s) => [s.snapshot.value, s.changed])).toEqual([
      ['uploaded', true],
      ['queued', true],
      ['queued', false],
    ]);
  });
});

describe('built-in actions the fold cannot honour', () => {
  it('refuses a delayed transition (after:) instead of dropping it', () => {
    const machine = setup({}).createMachine({
      initial: 'waiting',
      states: { waiting: { after: { 1000: 'done' } }, done: {} },
    });
    expect(() => start(machine, {})).toThrow(UnsupportedActionError);
  });

  it('refuses a delayed raise', () => {
    const machine = setup({}).createMachine({
      initial: 'a',
      states: { a: { on: { GO: { actions: raise({ type: 'LATER' }, { delay: 10 }) } } } },
    });
    const { snapshot } = start(machine, {});
    expect(() => step(machine, snapshot, { type: 'GO' })).toThrow(/xstate\.raise/);
  });
});
