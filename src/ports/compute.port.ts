import type { Observable } from 'rxjs';

/** Grace a worker gets to finish after being asked to stop, when `terminate` names none. */
export const DEFAULT_TERMINATE_GRACE_MS = 10_000;

/** What to launch: one worker instance. */
export interface LaunchRequest {
  /** The control plane's id for the worker; handed to it as `WORKER_ID` and echoed in events. */
  workerId: string;
  /** Extra environment for the worker. The adapter's own variables (`WORKER_ID`, ...) win over these. */
  env?: Record<string, string>;
}

/** A launched instance, named by the provider. */
export interface LaunchedInstance {
  /** Provider-assigned id, unique among this adapter's instances (an EC2 instance id, say). */
  instanceId: string;
}

/** Options of {@link Compute.terminate}. */
export interface TerminateOptions {
  /**
   * Milliseconds between asking the worker to stop (SIGTERM or the provider's equivalent) and
   * killing it. A provider that cannot enforce it treats it as a hint.
   * Default: {@link DEFAULT_TERMINATE_GRACE_MS}.
   */
  graceMs?: number;
}

/**
 * Where an instance is. `pending`: launched, not yet running (providers whose boot takes time);
 * `running`; `terminating`: asked to stop, not yet gone.
 */
export type InstanceState = 'pending' | 'running' | 'terminating';

/** One instance that the adapter launched and that has not exited yet. */
export interface InstanceInfo {
  instanceId: string;
  workerId: string;
  state: InstanceState;
  /** When it was launched, ms since the epoch. */
  launchedAt: number;
}

/** An instance is gone, whether it was terminated or stopped by itself. */
export interface InstanceExited {
  kind: 'exited';
  instanceId: string;
  workerId: string;
  /** Exit code, or `null` when it was ended by a signal or the provider reports none. */
  code: number | null;
  /** Signal that ended it (`'SIGKILL'`, ...), or `null`. */
  signal: string | null;
  /** `true` when it exited after `terminate` asked it to; `false` for a crash or a self-exit. */
  expected: boolean;
}

/** Lifecycle events of instances; a union so that providers can add kinds later. */
export type ComputeEvent = InstanceExited;

/**
 * Launches and terminates worker instances. It only does what it is told: when and how many is
 * the control plane's decision, and so is whether to replace an instance that exited.
 */
export abstract class Compute {
  /**
   * Lifecycle events of the instances launched through this adapter. Hot, without replay: a
   * subscriber sees events from the moment it subscribes; {@link list} gives the state at any time,
   * and no longer shows an instance by the time its exit is emitted.
   */
  abstract readonly events$: Observable<ComputeEvent>;

  /** Starts one worker instance. Rejects with `InstanceLaunchError` when the provider cannot. */
  abstract launch(request: LaunchRequest): Promise<LaunchedInstance>;

  /**
   * Asks an instance to stop gracefully, and kills it after the grace period. Resolves once the
   * provider has accepted the request; the exit is reported on {@link events$}. Idempotent: an
   * instance already terminating or gone is fine. Rejects with `InstanceNotFoundError` for an id
   * this adapter never launched.
   */
  abstract terminate(instanceId: string, options?: TerminateOptions): Promise<void>;

  /** The instances this adapter launched that have not exited yet. */
  abstract list(): Promise<InstanceInfo[]>;
}
