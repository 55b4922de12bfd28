import { decideScaling, ScalingInputs, ScalingSettings } from './scaling-policy';

const settings: ScalingSettings = { minWorkers: 1, maxWorkers: 4, targetBacklogPerWorker: 10 };
const inputs = (
  visible: number,
  inFlight: number,
  workers: Partial<ScalingInputs['workers']>,
  idleWorkerIds: string[] = [],
): ScalingInputs => ({
  visible,
  inFlight,
  workers: { pending: 0, running: 0, idle: 0, terminating: 0, ...workers },
  idleWorkerIds,
});

describe('scaling policy v1', () => {
  it.each`
    case                                       | visible | inFlight | workers                           | idle          | action        | desired | launch | terminate
    ${'empty queue, one worker: the minimum'}  | ${0}    | ${0}     | ${{ running: 1 }}                 | ${[]}         | ${'hold'}     | ${1}    | ${0}   | ${[]}
    ${'no workers at all: launch the minimum'} | ${0}    | ${0}     | ${{}}                             | ${[]}         | ${'scaleOut'} | ${1}    | ${1}   | ${[]}
    ${'25 waiting → ceil(25/10) = 3'}          | ${25}   | ${0}     | ${{ running: 1 }}                 | ${[]}         | ${'scaleOut'} | ${3}    | ${2}   | ${[]}
    ${'in-flight messages count as backlog'}   | ${15}   | ${10}    | ${{ running: 1 }}                 | ${[]}         | ${'scaleOut'} | ${3}    | ${2}   | ${[]}
    ${'pending workers count as capacity'}     | ${25}   | ${0}     | ${{ running: 1, pending: 2 }}     | ${[]}         | ${'hold'}     | ${3}    | ${0}   | ${[]}
    ${'never above the maximum'}               | ${1000} | ${0}     | ${{ running: 1 }}                 | ${[]}         | ${'scaleOut'} | ${4}    | ${3}   | ${[]}
    ${'surplus: stop idle workers only'}       | ${0}    | ${0}     | ${{ running: 1, idle: 2 }}        | ${['a', 'b']} | ${'scaleIn'}  | ${1}    | ${0}   | ${['a', 'b']}
    ${'surplus of 1: stop the longest idle'}   | ${12}   | ${0}     | ${{ running: 1, idle: 2 }}        | ${['a', 'b']} | ${'scaleIn'}  | ${2}    | ${0}   | ${['a']}
    ${'surplus but all busy: hold'}            | ${0}    | ${3}     | ${{ running: 3 }}                 | ${[]}         | ${'hold'}     | ${1}    | ${0}   | ${[]}
    ${'terminating workers are not capacity'}  | ${15}   | ${0}     | ${{ running: 1, terminating: 1 }} | ${[]}         | ${'scaleOut'} | ${2}    | ${1}   | ${[]}
  `('$case', ({ visible, inFlight, workers, idle, action, desired, launch, terminate }) => {
    const decision = decideScaling(inputs(visible, inFlight, workers, idle), settings);
    expect(decision).toMatchObject({ action, desired, launch, terminate, policy: 'backlog-v1' });
  });

  it('explains itself with its inputs and a readable reason', () => {
    const observed = inputs(25, 0, { running: 1 });
    const decision = decideScaling(observed, settings);
    expect(decision.inputs).toEqual(observed);
    expect(decision.settings).toEqual(settings);
    expect(decision.reason).toBe(
      'backlog 25 (25 waiting, 0 in flight) at 10 per worker wants 3, clamped to 3 in [1, 4]; 1 running + 0 idle + 0 pending = 1: launch 2',
    );
  });
});
