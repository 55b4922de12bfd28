import { DEFAULT_COOLDOWN_MS } from '../../state-machines/controller.machine';
import {
  AWS_COOLDOWN_MS,
  AWS_SCALING,
  AWS_SCALING_PERIOD_MS,
  AWS_WORKER_IDLE_TIMEOUT_MS,
  decideScaling,
  ScalingPolicy,
  ScalingSettings,
} from '../../state-machines/scaling-policy';
import {
  awsTargetTrackingPolicy,
  awsVictims,
  kedaPolicy,
  kedaVictims,
  originalPolicy,
  VictimPicker,
} from './baseline-policies';

/** How a contender's scale-in removes workers. */
export type ScaleIn =
  /** Ours: a termination request to each chosen worker's machine, which refuses a busy one. */
  | { mode: 'drain' }
  /** A baseline autoscaler: the provider kills instances it picks, busy or not. */
  | { mode: 'kill'; victims: VictimPicker }
  /** The original: the controller never scales in. */
  | { mode: 'none' };

/** A policy with everything around it that decides how the fleet behaves. */
export interface Contender {
  name: string;
  policy: ScalingPolicy;
  settings: ScalingSettings;
  /** The controller machine's cooldown: no scale-in for this long after a scale-out. */
  cooldownMs: number;
  scaleIn: ScaleIn;
  /** Workers stop themselves when they find the queue empty, the minimum excepted (the original). */
  workersStopWhenQueueEmpty: boolean;
  /** How often the controller looks. Default: the original's 10 s. */
  periodMs?: number;
  /** A worker with no job for this long is idle. Default: 5 s. */
  idleTimeoutMs?: number;
}

/** The original: min(depth, 18) extra workers every period; workers leave on an empty queue. */
export const ORIGINAL: Contender = {
  name: 'original',
  policy: originalPolicy,
  settings: AWS_SCALING,
  cooldownMs: DEFAULT_COOLDOWN_MS,
  scaleIn: { mode: 'none' },
  workersStopWhenQueueEmpty: true,
};

/** KEDA-like: ceil(messages / 5) with in-flight messages counted, 300 s before a scale-in. */
export const KEDA: Contender = {
  name: 'keda',
  policy: kedaPolicy,
  settings: AWS_SCALING,
  cooldownMs: 300_000,
  scaleIn: { mode: 'kill', victims: kedaVictims },
  workersStopWhenQueueEmpty: false,
};

/** AWS target tracking on backlog per instance, 300 s scale-in cooldown. */
export const AWS_TARGET_TRACKING: Contender = {
  name: 'aws-target-tracking',
  policy: awsTargetTrackingPolicy,
  settings: AWS_SCALING,
  cooldownMs: 300_000,
  scaleIn: { mode: 'kill', victims: awsVictims },
  workersStopWhenQueueEmpty: false,
};

/** Ours: `decideScaling` with the AWS defaults; scale-in drains idle workers through their machines. */
export const OURS: Contender = {
  name: 'ours',
  policy: decideScaling,
  settings: AWS_SCALING,
  cooldownMs: AWS_COOLDOWN_MS,
  scaleIn: { mode: 'drain' },
  workersStopWhenQueueEmpty: false,
  periodMs: AWS_SCALING_PERIOD_MS,
  idleTimeoutMs: AWS_WORKER_IDLE_TIMEOUT_MS,
};

export const CONTENDERS: readonly Contender[] = [ORIGINAL, KEDA, AWS_TARGET_TRACKING, OURS];
