import {
  ScalingAction,
  ScalingDecision,
  ScalingInputs,
  ScalingPolicy,
  ScalingSettings,
} from '../../state-machines/scaling-policy';
import { Random } from './random';

/**
 * The three policies ours is measured against, as pure {@link ScalingPolicy} functions over the
 * same observation. A baseline that scales in does not pick idle workers (it cannot tell): it
 * returns `desired < capacity` with an empty `terminate`, and the provider picks the victims
 * (see {@link kedaVictims}, {@link awsVictims}) and kills them, busy or not.
 */

/** KEDA's SQS scaler target: messages per replica. */
export const KEDA_MESSAGES_PER_REPLICA = 5;

const clamp = (n: number, min: number, max: number) => Math.min(max, Math.max(min, n));

function decision(
  policy: string,
  inputs: ScalingInputs,
  settings: ScalingSettings,
  desired: number,
  derived: Record<string, number>,
  why: string,
): ScalingDecision {
  const { pending, running, idle } = inputs.workers;
  const capacity = pending + running + idle;
  const action: ScalingAction = desired > capacity ? 'scaleOut' : desired < capacity ? 'scaleIn' : 'hold';
  const launch = Math.max(0, desired - capacity);
  const change =
    action === 'scaleOut'
      ? `launch ${launch}`
      : action === 'scaleIn'
        ? `remove ${capacity - desired}`
        : 'hold';
  return {
    action,
    desired: action === 'hold' ? capacity : desired,
    capacity,
    launch,
    terminate: [],
    reason: `${capacity} workers; ${why}: desired ${desired}, ${change}`,
    inputs,
    settings,
    derived,
    policy,
  };
}

/**
 * The original controller: every period, n = min(queue depth, max − min) extra workers besides
 * the always-on minimum, launching the difference. It never scales in: its workers stop
 * themselves when they find the queue empty (modelled by the simulated workers, not here).
 */
export const originalPolicy: ScalingPolicy = (inputs, settings) => {
  const { minWorkers, maxWorkers } = settings;
  const capacity = inputs.workers.pending + inputs.workers.running + inputs.workers.idle;
  const extra = Math.min(inputs.visible, maxWorkers - minWorkers);
  const desired = Math.max(capacity, minWorkers + extra);
  return decision(
    'original',
    inputs,
    settings,
    desired,
    { depth: inputs.visible, extra },
    `depth ${inputs.visible}`,
  );
};

/**
 * KEDA's SQS scaler under an HPA: desired = ceil((visible + in flight) / 5) replicas, between
 * the minimum and the maximum. Scale-in waits out a cooldown since the last scale event (the
 * controller machine's cooldown, 300 s for this contender) and removes replicas whatever they do.
 */
export const kedaPolicy: ScalingPolicy = (inputs, settings) => {
  const messages = inputs.visible + inputs.inFlight;
  const desired = clamp(
    Math.ceil(messages / KEDA_MESSAGES_PER_REPLICA),
    settings.minWorkers,
    settings.maxWorkers,
  );
  return decision(
    'keda-sqs',
    inputs,
    settings,
    desired,
    { messages },
    `${messages} messages at 5 per replica`,
  );
};

/**
 * AWS target tracking on backlog per instance: target = acceptable latency ÷ service time (the
 * measured one when there is one), desired = ceil(visible / target). Scale-in waits out its
 * cooldown (the controller machine's, 300 s for this contender) and the group terminates
 * instances by its termination policy, not by what they are doing.
 */
export const awsTargetTrackingPolicy: ScalingPolicy = (inputs, settings) => {
  const serviceMs = inputs.serviceTimeMs ?? settings.defaultServiceTimeMs;
  const target = Math.max(1, Math.floor(settings.acceptableLatencyMs / serviceMs));
  const desired = clamp(Math.ceil(inputs.visible / target), settings.minWorkers, settings.maxWorkers);
  return decision(
    'aws-target-tracking',
    inputs,
    settings,
    desired,
    { serviceTimeMs: serviceMs, targetBacklogPerInstance: target },
    `${inputs.visible} visible at ${target} per instance`,
  );
};

/** An instance as a baseline autoscaler sees it when it picks victims: never what it is doing. */
export interface VictimCandidate {
  workerId: string;
  launchedAt: number;
  booting: boolean;
}

/** Picks `count` instances to remove. */
export type VictimPicker = (candidates: VictimCandidate[], count: number, random: Random) => string[];

/** Kubernetes' ReplicaSet scale-down order: not-yet-ready pods first, then the newest. */
export const kedaVictims: VictimPicker = (candidates, count) =>
  [...candidates]
    .sort((a, b) => Number(b.booting) - Number(a.booting) || b.launchedAt - a.launchedAt)
    .slice(0, count)
    .map((c) => c.workerId);

/** An Auto Scaling group's default termination policy, for one zone and one template: any instance. */
export const awsVictims: VictimPicker = (candidates, count, random) => {
  const pool = [...candidates];
  const picked: string[] = [];
  while (picked.length < count && pool.length > 0) {
    picked.push(pool.splice(Math.floor(random() * pool.length), 1)[0].workerId);
  }
  return picked;
};
