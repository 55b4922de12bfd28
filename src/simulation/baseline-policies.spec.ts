import { AWS_SCALING, ScalingInputs } from '../../state-machines/scaling-policy';
import {
  awsTargetTrackingPolicy,
  awsVictims,
  kedaPolicy,
  kedaVictims,
  originalPolicy,
  VictimCandidate,
} from './baseline-policies';
import { seededRandom } from './random';

const observed = (
  visible: number,
  inFlight: number,
  workers: Partial<ScalingInputs['workers']>,
  serviceTimeMs?: number,
): ScalingInputs => ({
  visible,
  inFlight,
  workers: { pending: 0, running: 0, idle: 0, terminating: 0, ...workers },
  idleWorkers: [],
  pendingWorkers: [],
  serviceTimeMs,
});

describe('the original policy', () => {
  it('wants min(depth, 18) workers besides the always-on one and launches the difference', () => {
    const d = originalPolicy(observed(100, 0, { running: 1 }), AWS_SCALING);
    expect(d).toMatchObject({ action: 'scaleOut', desired: 19, capacity: 1, launch: 18, terminate: [] });
  });

  it('counts workers still booting, and launches only what is missing', () => {
    const d = originalPolicy(observed(5, 0, { running: 1, pending: 3 }), AWS_SCALING);
    expect(d).toMatchObject({ action: 'scaleOut', desired: 6, launch: 2 });
  });

  it('never scales in, even with an empty queue and idle workers', () => {
    const d = originalPolicy(observed(0, 0, { idle: 10 }), AWS_SCALING);
    expect(d).toMatchObject({ action: 'hold', desired: 10, launch: 0, terminate: [] });
  });

  it('ignores messages in flight: the depth is the visible messages', () => {
    expect(originalPolicy(observed(0, 50, { running: 1 }), AWS_SCALING).action).toBe('hold');
  });
});

describe('the KEDA-like policy', () => {
  it('wants ceil((visible + in flight) / 5) replicas', () => {
    const d = kedaPolicy(observed(7, 4, { running: 1 }), AWS_SCALING);
    expect(d).toMatchObject({ action: 'scaleOut', desired: 3, launch: 2 });
  });

  it('scales in by a count and leaves the victims to the provider, busy or not', () => {
    const d = kedaPolicy(observed(0, 19, { running: 19 }), AWS_SCALING);
    expect(d).toMatchObject({ action: 'scaleIn', desired: 4, capacity: 19, launch: 0, terminate: [] });
  });

  it('stays between the minimum and the maximum', () => {
    expect(kedaPolicy(observed(0, 0, { idle: 3 }), AWS_SCALING).desired).toBe(1);
    expect(kedaPolicy(observed(1000, 0, { running: 1 }), AWS_SCALING).desired).toBe(19);
    expect(kedaPolicy(observed(0, 0, {}), AWS_SCALING)).toMatchObject({ action: 'scaleOut', launch: 1 });
  });
});

describe('the AWS target-tracking policy', () => {
  it('targets acceptable latency ÷ service time visible messages per instance (50 for AWS_SCALING)', () => {
    const d = awsTargetTrackingPolicy(observed(120, 0, { running: 1 }), AWS_SCALING);
    expect(d).toMatchObject({ action: 'scaleOut', desired: 3, launch: 2 });
    expect(d.derived.targetBacklogPerInstance).toBe(50);
  });

  it('uses the measured service time when there is one', () => {
    const d = awsTargetTrackingPolicy(observed(120, 0, { running: 1 }, 2_000), AWS_SCALING);
    expect(d).toMatchObject({ desired: 5, launch: 4 });
  });

  it('does not see messages in flight, so it scales a fully busy fleet in', () => {
    const d = awsTargetTrackingPolicy(observed(0, 19, { running: 19 }), AWS_SCALING);
    expect(d).toMatchObject({ action: 'scaleIn', desired: 1, terminate: [] });
  });
});

describe('victim pickers', () => {
  const candidates: VictimCandidate[] = [
    { workerId: 'old', launchedAt: 0, booting: false },
    { workerId: 'new', launchedAt: 20, booting: false },
    { workerId: 'booting', launchedAt: 10, booting: true },
    { workerId: 'middle', launchedAt: 10, booting: false },
  ];

  it('KEDA removes replicas not yet ready first, then the newest', () => {
    expect(kedaVictims(candidates, 3, seededRandom(1))).toEqual(['booting', 'new', 'middle']);
  });

  it('AWS removes any instances, as many as asked, each once, the same for the same seed', () => {
    const picked = awsVictims(candidates, 3, seededRandom(5));
    expect(new Set(picked).size).toBe(3);
    expect(picked).toEqual(awsVictims(candidates, 3, seededRandom(5)));
    expect(awsVictims(candidates, 9, seededRandom(5))).toHaveLength(4);
  });
});
