import { assign, setup } from 'xstate';
import { effect, EffectFailed, EffectOf } from './effects';
import { CancelTimerParams, StartTimerParams, timerActionDeclarations } from './timers';
import { ScalingAction, ScalingDecision, ScalingSettings } from './scaling-policy';

/** Payload of `ControllerStarted`, the event that creates the controller. */
export interface ControllerInput {
  settings: ScalingSettings;
  /** After a scale-out, no scale-in for this long (default 30 000 ms). */
  cooldownMs?: number;
  at: number;
}

export type ControllerEvent =
  | { type: 'ControllerConfigured'; settings: ScalingSettings; cooldownMs: number; at: number }
  | { type: 'ScalingDecided'; decision: ScalingDecision; at: number }
  | { type: 'ScalingActionCompleted'; launched: string[]; terminated: string[]; at: number }
  | { type: 'CooldownElapsed'; at: number }
  | EffectFailed;

export interface ControllerContext {
  settings: ScalingSettings;
  cooldownMs: number;
  lastDecision?: ScalingDecision;
  lastDecisionAt?: number;
  decisions: Record<ScalingAction, number>;
  /** The last scaling action that could not be carried out, and why. */
  lastFailure?: { effect: string; reason: string; at: number };
  /** Scaling actions that could not be carried out. */
  failures?: number;
}

/** Params of the controller's effects, executed by the host on the live path only. */
export interface LaunchWorkersParams {
  count: number;
  reason: string;
}
export interface TerminateWorkersParams {
  workerIds: string[];
  reason: string;
}

/** The effects the controller asks for; the host performs them. */
export const CONTROLLER_EFFECTS = {
  launchWorkers: effect<LaunchWorkersParams>(),
  terminateWorkers: effect<TerminateWorkersParams>(),
};
export type ControllerEffect = EffectOf<typeof CONTROLLER_EFFECTS>;

export const DEFAULT_COOLDOWN_MS = 30_000;

type Decided = Extract<ControllerEvent, { type: 'ScalingDecided' }>;
const decisionIs =
  (action: ScalingAction) =>
  ({ event }: { event: ControllerEvent }) =>
    event.type === 'ScalingDecided' && event.decision.action === action;

const armCooldown = {
  type: 'startTimer',
  params: ({ context }: { context: ControllerContext }): StartTimerParams => ({
    timerId: 'cooldown',
    delayMs: context.cooldownMs,
    eventType: 'CooldownElapsed',
  }),
} as const;
const cancelCooldown = {
  type: 'cancelTimer',
  params: (): CancelTimerParams => ({ timerId: 'cooldown' }),
} as const;

/**
 * The autoscaler. Each scaling decision — made by the pure policy from the observed backlog
 * and fleet, before this machine runs — is an explicit transition: steady → scalingOut →
 * cooldown → steady, steady → scalingIn → steady, or back to steady when the action could not be
 * carried out. A scale-in is refused during cooldown, so that workers just launched are not
 * stopped before the backlog they were launched for is seen to shrink; a scale-out never is.
 * A scale-in is followed by none: the next one needs idle workers that the policy chose again,
 * and at a burst's end its workers fall idle one by one, each to be stopped as it does.
 */
export const controllerMachine = setup({
  types: {
    context: {} as ControllerContext,
    events: {} as ControllerEvent,
    input: {} as ControllerInput,
  },
  actions: {
    ...timerActionDeclarations,
    ...CONTROLLER_EFFECTS,
    recordFailure: assign(({ context, event }) => {
      const { effect, reason, at } = event as EffectFailed;
      return { lastFailure: { effect, reason, at }, failures: (context.failures ?? 0) + 1 };
    }),
    recordDecision: assign(({ context, event }) => {
      const { decision, at } = event as Decided;
      return {
        lastDecision: decision,
        lastDecisionAt: at,
        decisions: { ...context.decisions, [decision.action]: context.decisions[decision.action] + 1 },
      };
    }),
    configure: assign(({ event }) => {
      const { settings, cooldownMs } = event as Extract<ControllerEvent, { type: 'ControllerConfigured' }>;
      return { settings, cooldownMs };
    }),
  },
  guards: {
    scaleOut: decisionIs('scaleOut'),
    scaleIn: decisionIs('scaleIn'),
    hold: decisionIs('hold'),
  },
}).createMachine({
  id: 'controller',
  initial: 'steady',
  context: ({ input }) => ({
    settings: input.settings,
    cooldownMs: input.cooldownMs ?? DEFAULT_COOLDOWN_MS,
    decisions: { scaleOut: 0, scaleIn: 0, hold: 0 },
  }),
  on: {
    ControllerConfigured: { actions: 'configure' },
  },
  states: {
    steady: {
      on: {
        ScalingDecided: [
          { guard: 'scaleOut', target: 'scalingOut', actions: 'recordDecision' },
          { guard: 'scaleIn', target: 'scalingIn', actions: 'recordDecision' },
          { guard: 'hold', actions: 'recordDecision' },
        ],
      },
    },
    scalingOut: {
      entry: {
        type: 'launchWorkers',
        params: ({ context }) => ({
          count: context.lastDecision!.launch,
          reason: context.lastDecision!.reason,
        }),
      },
      on: {
        ScalingActionCompleted: 'cooldown',
        // The next tick decides again, from what the fleet then is.
        EffectFailed: { target: 'steady', actions: 'recordFailure' },
      },
    },
    scalingIn: {
      entry: {
        type: 'terminateWorkers',
        params: ({ context }) => ({
          workerIds: context.lastDecision!.terminate,
          reason: context.lastDecision!.reason,
        }),
      },
      on: {
        ScalingActionCompleted: 'steady',
        EffectFailed: { target: 'steady', actions: 'recordFailure' },
      },
    },
    cooldown: {
      entry: armCooldown,
      exit: cancelCooldown,
      on: {
        CooldownElapsed: 'steady',
        ScalingDecided: [
          { guard: 'scaleOut', target: 'scalingOut', actions: 'recordDecision' },
          { guard: 'hold', actions: 'recordDecision' },
        ],
      },
    },
  },
});
