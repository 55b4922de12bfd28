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

describe('scaling policy v4: backlog per worker with boot time and latency in view', () => {
  it('launches the minimum when no worker runs', () => {
    expect(decideScaling(observed(0), aws)).toMatchObject({ action: 'scaleOut', launch: 1, desired: 1 });
  });

  it('holds for 10 images: the always-on worker drains them (10 s) before a new one could boot (40 s)', () => {
    const decision = decideScaling(observed(10, { running: 1 }), aws);
    expect(decision).toMatchObject({ action: 'hold', launch: 0, desired: 1 });
    expect(decision.reason).toContain('drains within 50.0 s');
  });

  it('scales out at once for 100 images, enough that they drain within a tenth of the fastest drain', () => {
    // 100 s of work, 50 s acceptable: 5 new workers would do (50 − 40 = 10 s each). The fastest
    // drain, 19 workers, ends at 40 + 60 / 19 = 43.2 s; 1.1 × that is 47.5 s, sooner than 50 s:
    // one worker does 47.5 s by then, each new one 7.5 s, so 8 new ones drain the other 52.5 s.
    const decision = decideScaling(observed(100, { running: 1 }), aws);
    expect(decision).toMatchObject({ action: 'scaleOut', launch: 8, desired: 9 });
    expect(decision.derived).toMatchObject({
      targetBacklogPerWorker: 50,
      workMs: 100_000,
      leftAtLatency: 50_000,
    });
    expect(decision.reason).toContain('drained in 47.5 s, within 1.1 × the fastest (43.2 s)');
  });

  it('aims at the acceptable latency when even the maximum fleet drains no sooner than it', () => {
    // 300 images, 120 s acceptable, at most 7 workers: the fastest drain ends at 40 + 260 / 7 =
    // 77.1 s, and 1.1 × that is 84.9 s, sooner than 120 s: it is the aim, and 5 new workers (of
    // the 6 allowed) meet it where 3 would meet 120 s. With at most 3 workers
    // the fastest ends at 126.7 s, past 120 s, and the acceptable latency is the aim.
    const inputs = observed(300, { running: 1 });
    const seven = decideScaling(inputs, { ...aws, acceptableLatencyMs: 120_000, maxWorkers: 7 });
    expect(seven).toMatchObject({ action: 'scaleOut', launch: 5 });
    expect(seven.reason).toContain('within 1.1 × the fastest (77.1 s)');
    const three = decideScaling(inputs, { ...aws, acceptableLatencyMs: 120_000, maxWorkers: 3 });
    expect(three).toMatchObject({ action: 'scaleOut', launch: 2 });
    expect(three.reason).not.toContain('the fastest');
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
    expect(none.launch).toBe(8);
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
    expect(decideScaling(inputs, aws).launch).toBe(8);
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

  it('holds while surplus workers have not been idle long enough and uploads keep coming', () => {
    const idleWorkers = [{ id: 'a', idleForMs: 5_000 }];
    const inputs = observed(0, { running: 1, idle: 1 }, { idleWorkers, arrivalsPerS: 0.05 });
    const decision = decideScaling(inputs, aws);
    expect(decision.action).toBe('hold');
    expect(decision.reason).toContain('no worker idle for 60.0 s yet');
  });

  it('stops idle workers at once when nothing is queued and nothing was uploaded for a minute: the burst is over', () => {
    const idleWorkers = [
      { id: 'a', idleForMs: 3_000, launchedForMs: 600_000 },
      { id: 'b', idleForMs: 1_000, launchedForMs: 600_000 },
    ];
    const inputs = observed(0, { running: 1, idle: 2 }, { idleWorkers, arrivalsPerS: 0 });
    const decision = decideScaling(inputs, aws);
    expect(decision).toMatchObject({ action: 'scaleIn', terminate: ['a', 'b'], desired: 1 });
    expect(decision.reason).toContain('idle, with no upload for a minute');
    // With a job still queued, the backlog decides; with the rate unknown, the window does.
    expect(decideScaling({ ...inputs, visible: 1 }, aws).action).toBe('hold');
    expect(decideScaling({ ...inputs, arrivalsPerS: undefined }, aws).action).toBe('hold');
  });

  it("stops a burst's idle workers while the last jobs are still in the busy ones' hands", () => {
    const idleWorkers = [
      { id: 'a', idleForMs: 0, launchedForMs: 600_000 },
      { id: 'b', idleForMs: 0, launchedForMs: 600_000 },
    ];
    const inputs = { ...observed(0, { running: 3, idle: 2 }, { idleWorkers, arrivalsPerS: 0 }), inFlight: 3 };
    expect(decideScaling(inputs, aws)).toMatchObject({
      action: 'scaleIn',
      terminate: ['a', 'b'],
      desired: 3,
    });
  });

  it('keeps an idle worker within its billed minute: stopping it would save nothing', () => {
    const settings = { ...aws, billingMinimumMs: 60_000 };
    const young = [{ id: 'a', idleForMs: 120_000, launchedForMs: 45_000 }];
    const held = decideScaling(
      observed(0, { running: 1, idle: 1 }, { idleWorkers: young, arrivalsPerS: 0 }),
      settings,
    );
    expect(held.action).toBe('hold');
    expect(held.reason).toContain('within their billed 60.0 s');

    const paidUp = [{ id: 'a', idleForMs: 120_000, launchedForMs: 61_000 }];
    expect(
      decideScaling(observed(0, { running: 1, idle: 1 }, { idleWorkers: paidUp }), settings),
    ).toMatchObject({ action: 'scaleIn', terminate: ['a'] });
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

  it('launches for the arrival rate when uploads come faster than the fleet serves them at 80 % busy', () => {
    // 2.5 uploads/s of 1 s each need ceil(2.5 / 0.8) = 4 workers; the backlog alone (5) would not scale.
    const decision = decideScaling(observed(5, { running: 2 }, { arrivalsPerS: 2.5 }), aws);
    expect(decision).toMatchObject({ action: 'scaleOut', launch: 2, desired: 4 });
    expect(decision.derived).toMatchObject({ workersForRate: 4 });
    expect(decision.reason).toContain('uploads at 2.50/s need 4 workers at 80 % busy');
  });

  it('does not launch for a rate the fleet on hand keeps up with until a new worker could boot', () => {
    // One worker at 1 upload/s is fully busy: the 40 s of a boot bring 40 s of work, which it does.
    expect(decideScaling(observed(0, { running: 1 }, { arrivalsPerS: 1 }), aws).action).toBe('hold');
    expect(decideScaling(observed(0, { running: 1 }, { arrivalsPerS: 1.2 }), aws)).toMatchObject({
      action: 'scaleOut',
      launch: 1,
    });
  });

  it('scales in only below what the arrival rate needs at 60 % busy, short of the 80 % it scales out at', () => {
    // 1.5 uploads/s: 2 workers at 80 % busy, 3 at 60 %. With 3, none is stopped, though 2 would do.
    const idleWorkers = [{ id: 'a', idleForMs: 300_000, launchedForMs: 600_000 }];
    const decision = decideScaling(
      observed(0, { running: 2, idle: 1 }, { idleWorkers, arrivalsPerS: 1.5 }),
      aws,
    );
    expect(decision.action).toBe('hold');
    expect(decision.derived).toMatchObject({ workersForRate: 2, workersKeptForRate: 3 });
    expect(decision.reason).toContain('uploads at 1.50/s keep 3');
    // At 1 upload/s, 2 are kept: the idle one goes.
    expect(
      decideScaling(observed(0, { running: 2, idle: 1 }, { idleWorkers, arrivalsPerS: 1 }), aws),
    ).toMatchObject({ action: 'scaleIn', terminate: ['a'] });
  });

  it('explains itself with its inputs, settings and a readable reason', () => {
    const inputs = observed(100, { running: 1 });
    const decision = decideScaling(inputs, aws);
    expect(decision.inputs).toEqual(inputs);
    expect(decision.settings).toEqual(aws);
    expect(decision.policy).toBe('backlog-latency-v4');
    expect(decision.reason).toBe(
      '1 running + 0 idle + 0 pending = 1; backlog 100 at 1000 ms each is 100.0 s of work; 50.0 s would be left after the acceptable 50.0 s; drained in 47.5 s, within 1.1 × the fastest (43.2 s): launch 8',
    );
  });
});

function ids(n: number, ageMs: number) {
  return Array.from({ length: n }, (_, i) => ({ id: `p${i}`, ageMs }));
}

describe('scaling policy v4 when the acceptable latency is shorter than a boot', () => {
  it('launches more, never fewer, as the latency tightens past the boot time', () => {
    const inputs = observed(100, { running: 1 });
    const launchAt = (acceptableLatencyMs: number) =>
      decideScaling(inputs, { ...aws, acceptableLatencyMs }).launch;
    expect(launchAt(40_000)).toBeGreaterThanOrEqual(launchAt(41_000));
    expect(launchAt(20_000)).toBe(18);
  });
});
