import { controllerMachine, ControllerInput } from './controller.machine';
import { start } from './fold';
import { AWS_SCALING, decideScaling, ScalingInputs, ScalingSettings } from './scaling-policy';
import { given } from './testing/given';

const settings: ScalingSettings = {
  ...AWS_SCALING,
  maxWorkers: 4,
  acceptableLatencyMs: 10_000,
  expectedBootMs: 2_000,
  scaleInStabilisationMs: 0,
};
const started: ControllerInput = { settings, cooldownMs: 20_000, at: 0 };
const observed = (visible: number, running: number, idle: string[] = []): ScalingInputs => ({
  visible,
  inFlight: 0,
  workers: { pending: 0, running, idle: idle.length, terminating: 0 },
  idleWorkers: idle.map((id) => ({ id, idleForMs: 60_000 })),
  pendingWorkers: [],
});
const decided = (visible: number, running: number, idle: string[] = [], at = 1000) => ({
  type: 'ScalingDecided',
  decision: decideScaling(observed(visible, running, idle), settings),
  at,
});
const scaleOut = decided(30, 1);
const scaleIn = decided(0, 1, ['w2', 'w3']);
const hold = decided(5, 1);
const completed = { type: 'ScalingActionCompleted', launched: ['w2', 'w3'], terminated: [], at: 1100 };
const cooled = { type: 'CooldownElapsed', at: 21_100 };
const armCooldown = {
  type: 'startTimer',
  params: { timerId: 'cooldown', delayMs: 20_000, eventType: 'CooldownElapsed' },
};

describe('controller machine', () => {
  it('starts steady with no decisions', () => {
    const { snapshot, effects } = start(controllerMachine, started);
    expect(snapshot.value).toBe('steady');
    expect(snapshot.context.decisions).toEqual({ scaleOut: 0, scaleIn: 0, hold: 0 });
    expect(effects).toEqual([]);
  });

  it('steady → scalingOut on a scale-out decision, asking for the launches with the reason', () => {
    const then = given(controllerMachine, started).when(scaleOut);
    expect(then.snapshot.value).toBe('scalingOut');
    expect(then.snapshot.context.lastDecision).toEqual(scaleOut.decision);
    expect(then.effects).toEqual([
      { type: 'launchWorkers', params: { count: 3, reason: scaleOut.decision.reason } },
    ]);
  });

  it.each([
    ['scalingOut', scaleOut, 'launchWorkers'],
    ['scalingIn', scaleIn, 'terminateWorkers'],
  ])(
    '%s → steady when its action keeps failing, the failure kept beside the decision',
    (_, decision, effect) => {
      const then = given(controllerMachine, started, decision).when({
        type: 'EffectFailed',
        effect,
        reason: 'provider unreachable',
        attempts: 5,
        at: 1200,
      });
      expect(then.snapshot.value).toBe('steady');
      expect(then.snapshot.context).toMatchObject({
        lastDecision: decision.decision,
        lastFailure: { effect, reason: 'provider unreachable', at: 1200 },
        failures: 1,
      });
    },
  );

  it('steady → scalingIn on a scale-in decision, naming the idle workers to stop', () => {
    const then = given(controllerMachine, started).when(scaleIn);
    expect(then.snapshot.value).toBe('scalingIn');
    expect(then.effects).toEqual([
      { type: 'terminateWorkers', params: { workerIds: ['w2', 'w3'], reason: scaleIn.decision.reason } },
    ]);
  });

  it('records a hold decision and stays steady', () => {
    const then = given(controllerMachine, started).when(hold);
    expect(then.snapshot.value).toBe('steady');
    expect(then.snapshot.context.decisions.hold).toBe(1);
    expect(then.effects).toEqual([]);
  });

  it('scalingOut → cooldown once the launch completed, arming the cooldown timer', () => {
    const then = given(controllerMachine, started, scaleOut).when(completed);
    expect(then.snapshot.value).toBe('cooldown');
    expect(then.effects).toEqual([armCooldown]);
  });

  it('scalingIn → steady once the stop completed, so the next idle worker can be stopped at once', () => {
    const then = given(controllerMachine, started, scaleIn).when(completed);
    expect(then.snapshot.value).toBe('steady');
    expect(then.effects).toEqual([]);
    expect(given(controllerMachine, started, scaleIn, completed).when(scaleIn).snapshot.value).toBe(
      'scalingIn',
    );
  });

  it('cooldown → steady when the cooldown elapses', () => {
    const then = given(controllerMachine, started, scaleOut, completed).when(cooled);
    expect(then.snapshot.value).toBe('steady');
    expect(then.effects).toEqual([{ type: 'cancelTimer', params: { timerId: 'cooldown' } }]);
  });

  it('refuses a scale-in during cooldown', () => {
    const then = given(controllerMachine, started, scaleOut, completed).when(scaleIn);
    expect(then.changed).toBe(false);
    expect(then.snapshot.value).toBe('cooldown');
  });

  it('allows a scale-out during cooldown: more work never waits', () => {
    const then = given(controllerMachine, started, scaleOut, completed).when(decided(40, 3, [], 5000));
    expect(then.snapshot.value).toBe('scalingOut');
    expect(then.effects[0]).toEqual({ type: 'cancelTimer', params: { timerId: 'cooldown' } });
  });

  it('ignores a new decision while an action is in progress', () => {
    const then = given(controllerMachine, started, scaleOut).when(scaleIn);
    expect(then.changed).toBe(false);
  });

  it('takes new settings in any state', () => {
    const newSettings = { ...settings, maxWorkers: 8 };
    const then = given(controllerMachine, started, scaleOut).when({
      type: 'ControllerConfigured',
      settings: newSettings,
      cooldownMs: 5000,
      at: 3000,
    });
    expect(then.snapshot.value).toBe('scalingOut');
    expect(then.snapshot.context).toMatchObject({ settings: newSettings, cooldownMs: 5000 });
  });
});
