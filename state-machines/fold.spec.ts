import { initialTransition, transition } from 'xstate';
import { effectNames, effectsOf, start, step } from './fold';
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
    expect(first.effects).toEqual([{ type: 'enqueueJob', params: { jobId: 'a' } }]);
    expect(second.effects).toEqual([]);
  });
});

describe('effectNames', () => {
  it('lists the effects a machine declares, not the assigns it does itself', () => {
    expect(effectNames(jobMachine).sort()).toEqual(['enqueueJob', 'reportFailure', 'reportResult']);
    expect(effectNames(workerMachine).sort()).toEqual([
      'cancelTimer',
      'launchWorker',
      'releaseJobs',
      'startTimer',
      'stopWorker',
    ]);
  });
});
