import { AWS_SCALING, decideScaling, ScalingInputs, ScalingSettings } from './scaling-policy';

/** The original project's numbers: 40 s boots, about 1 s per image, at most 19 workers. */
const aws: ScalingSettings = {
  ...AWS_SCALING,
  acceptableLatencyMs: 50_000,
  expectedBootMs: 40_000,
  defaultServiceTimeMs: 1000,
  scaleInStabilisationMs: 60_000,
  maxScaleInPerStep: 2,
};

const observed = (
  visible: number,
  workers: Partial<ScalingInputs['workers']> = {},
  extra: Partial<ScalingInputs> = {},
): ScalingInputs => ({
  visible,
  inFlight: 0,
  workers: { pending: 0, running: 0, idle: 0, terminating: 0, ...workers },
  idleWorkers: [],
  pendingWorkers: [],
  ...extra,
});

describe('scaling policy v2: backlog per worker with boot time and latency in view', () => {
  it('launches the minimum when no worker runs', () => {
    expect(decideScaling(observed(0), aws)).toMatchObject({ action: 'scaleOut', launch: 1, desired: 1 });
  });

  it('holds for 10 images: the always-on worker drains them (10 s) before a new one could boot (40 s)', () => {
    const decision = decideScaling(observed(10, { running: 1 }), aws);
    expect(decision).toMatchObject({ action: 'hold', launch: 0, desired: 1 });
    expect(decision.reason).toContain('drains within 50.0 s');
  });

  it('scales out at once for 100 images, enough that they drain within the acceptable latency', () => {
    // 100 s of work; one worker does 50 s by the deadline; each new one does 50 − 40 = 10 s: launch 5.
    const decision = decideScaling(observed(100, { running: 1 }), aws);
    expect(decision).toMatchObject({ action: 'scaleOut', launch: 5, desired: 6 });
    expect(decision.derived).toMatchObject({
      targetBacklogPerWorker: 50,
      workMs: 100_000,
      leftAtLatency: 50_000,
    });
  });

  it('does not launch a worker that would arrive after the backlog is drained', () => {
    const inputs = observed(70, { running: 1 }, { serviceTimeMs: 500 });
    const settings = { ...aws, acceptableLatencyMs: 30_000 };
    // 35 s of work, 30 s acceptable: too slow, yet by the time a new worker boots (40 s) it is all done.
    const decision = decideScaling(inputs, settings);
    expect(decision.action).toBe('hold');
    expect(decision.reason).toContain('drains before a new worker could boot');
  });

  it('counts pending workers as capacity from the moment their boot ends', () => {
    const fresh = decideScaling(
      observed(100, { running: 1, pending: 5 }, { pendingWorkers: ids(5, 0) }),
      aws,
    );
    expect(fresh).toMatchObject({ action: 'hold', desired: 6 });
    const none = decideScaling(observed(100, { running: 1 }), aws);
    expect(none.launch).toBe(5);
  });

  it('uses the measured service time: a faster worker needs fewer peers', () => {
    const decision = decideScaling(observed(100, { running: 1 }, { serviceTimeMs: 200 }), aws);
    expect(decision).toMatchObject({
      action: 'hold',
      derived: expect.objectContaining({ targetBacklogPerWorker: 250 }),
    });
  });

  it('counts in-flight messages as backlog', () => {
    const inputs = { ...observed(50, { running: 1 }), inFlight: 50 };
    expect(decideScaling(inputs, aws).launch).toBe(5);
  });

  it('never goes above the maximum', () => {
    const decision = decideScaling(observed(10_000, { running: 1 }), aws);
    expect(decision).toMatchObject({ action: 'scaleOut', launch: 18, desired: 19 });
  });

  it('does not scale out when already at the maximum', () => {
    const decision = decideScaling(observed(10_000, { running: 19 }), aws);
    expect(decision).toMatchObject({ action: 'hold', desired: 19 });
    expect(decision.reason).toContain('at the maximum of 19');
  });

  it('scales in only idle workers past the stabilisation window, a bounded number per step, longest idle first', () => {
    const idleWorkers = [
      { id: 'a', idleForMs: 300_000 },
      { id: 'b', idleForMs: 120_000 },
      { id: 'c', idleForMs: 61_000 },
      { id: 'd', idleForMs: 10_000 },
    ];
    const decision = decideScaling(observed(0, { running: 1, idle: 4 }, { idleWorkers }), aws);
    expect(decision).toMatchObject({ action: 'scaleIn', terminate: ['a', 'b'], desired: 3 });
  });

  it('holds while surplus workers have not been idle long enough', () => {
    const idleWorkers = [{ id: 'a', idleForMs: 5_000 }];
    const decision = decideScaling(observed(0, { running: 1, idle: 1 }, { idleWorkers }), aws);
    expect(decision.action).toBe('hold');
    expect(decision.reason).toContain('no worker idle for 60.0 s yet');
  });

  it('never scales below the minimum, and never busy workers', () => {
    const onlyMinimum = decideScaling(
      observed(0, { idle: 1 }, { idleWorkers: [{ id: 'a', idleForMs: 999_999 }] }),
      aws,
    );
    expect(onlyMinimum.action).toBe('hold');
    const busy = decideScaling(observed(0, { running: 5 }), aws);
    expect(busy).toMatchObject({ action: 'hold', terminate: [] });
  });

  it('explains itself with its inputs, settings and a readable reason', () => {
    const inputs = observed(100, { running: 1 });
    const decision = decideScaling(inputs, aws);
    expect(decision.inputs).toEqual(inputs);
    expect(decision.settings).toEqual(aws);
    expect(decision.policy).toBe('backlog-latency-v2');
    expect(decision.reason).toBe(
      '1 running + 0 idle + 0 pending = 1; backlog 100 at 1000 ms each is 100.0 s of work; 50.0 s would be left after the acceptable 50.0 s: launch 5',
    );
  });
});

function ids(n: number, ageMs: number) {
  return Array.from({ length: n }, (_, i) => ({ id: `p${i}`, ageMs }));
}

describe('scaling policy v2 when the acceptable latency is shorter than a boot', () => {
  it('launches more, never fewer, as the latency tightens past the boot time', () => {
    const inputs = observed(100, { running: 1 });
    const launchAt = (acceptableLatencyMs: number) =>
      decideScaling(inputs, { ...aws, acceptableLatencyMs }).launch;
    expect(launchAt(40_000)).toBeGreaterThanOrEqual(launchAt(41_000));
    expect(launchAt(20_000)).toBe(18);
  });
});
