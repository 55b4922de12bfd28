import { EC2Client, RunInstancesCommand, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { Logger, type OnApplicationShutdown } from '@nestjs/common';
import { Observable, Subject } from 'rxjs';
import { SystemClock } from '../../clock/system-clock';
import { InstanceLaunchError, InstanceNotFoundError } from '../../compute/compute.errors';
import type { Clock, TimerHandle } from '../../ports/clock.port';
import {
  Compute,
  ComputeEvent,
  InstanceExited,
  InstanceInfo,
  LaunchedInstance,
  LaunchRequest,
  TerminateOptions,
} from '../../ports/compute.port';
import { ComputeBackendError, ec2ErrorCode, Ec2LaunchError, InstanceCapReachedError } from './ec2-errors';
import {
  DescribedInstance,
  describeInstances,
  fleetFilters,
  isLive,
  LIVE_STATES,
  portState,
} from './ec2-instances';
import {
  checkLaunchSpec,
  Ec2InstanceSettings,
  Ec2LaunchTemplate,
  LaunchSpec,
  runInstancesInput,
  WorkerBoot,
} from './ec2-launch';

/** Options of {@link Ec2Compute}. */
export interface Ec2ComputeOptions {
  /**
   * The SDK client, owned by the caller. Its retry strategy (the SDK's standard mode unless
   * configured otherwise) is what retries throttling (`RequestLimitExceeded`).
   */
  client: EC2Client;
  /** Names this control plane's workers: the `fleet` tag. List, terminate and the poll see only these. */
  fleetId: string;
  /** The `project` tag. Default: `elastic-image-recognition`. */
  project?: string;
  /** Launch template with the worker's AMI, type, network and instance profile. Default: none. */
  launchTemplate?: Ec2LaunchTemplate;
  /** Explicit instance settings; required (imageId, instanceType) without a template, overrides with one. */
  instance?: Ec2InstanceSettings;
  /** How user-data starts the installed worker. Defaults: see {@link WorkerBoot}. */
  boot?: WorkerBoot;
  /**
   * Most live instances (pending, running, stopping, shutting-down) in the client's region,
   * whoever launched them; launches beyond it are refused with `InstanceCapReachedError`. Default: 20.
   */
  instanceCap?: number;
  /** How often DescribeInstances is polled for instances that are gone. Default: 15 000 ms. */
  pollIntervalMs?: number;
  /**
   * How long a launched instance may stay absent from DescribeInstances (EC2 is eventually
   * consistent) before the poll reports it gone. Default: 120 000 ms.
   */
  launchVisibilityMs?: number;
  /** Times the poll and stamps launches. Default: a {@link SystemClock}. */
  clock?: Clock;
}

interface TrackedInstance {
  info: InstanceInfo;
  /** `terminate` asked for it. */
  expected: boolean;
  /** DescribeInstances has shown it at least once: its absence now means it is gone. */
  seen: boolean;
  /** The accepted (or pending) TerminateInstances call, shared by concurrent terminates. */
  terminating?: Promise<void>;
}

/** Ids of exited instances remembered so that a late `terminate` for one still succeeds. */
const REMEMBERED_EXITS = 10_000;
const NOT_FOUND_CODES = new Set(['InvalidInstanceID.NotFound', 'InvalidInstanceID.Malformed']);

/**
 * A {@link Compute} whose workers are EC2 instances (the `aws` profile). A launch runs one
 * instance from the launch template with user-data that starts the worker's systemd unit with
 * `WORKER_ID` (see `workerUserData`), tagged with the project, `role=worker`, the fleet and the
 * worker id. Terminating calls TerminateInstances: EC2 shuts the instance down, systemd sends the
 * worker SIGTERM and waits for the unit's stop timeout, so `graceMs` is only a hint, set in the
 * image. Exits are found by polling DescribeInstances, so they arrive up to `pollIntervalMs` late.
 *
 * Instances outlive the adapter: a restarted control plane adopts the fleet's live instances on
 * its first poll, `list` or `terminate`.
 */
export class Ec2Compute extends Compute implements OnApplicationShutdown {
  readonly events$: Observable<ComputeEvent>;
  private readonly events = new Subject<ComputeEvent>();
  private readonly client: EC2Client;
  private readonly spec: LaunchSpec;
  private readonly instanceCap: number;
  private readonly pollIntervalMs: number;
  private readonly launchVisibilityMs: number;
  private readonly clock: Clock;
  private readonly logger = new Logger(Ec2Compute.name);
  private readonly known = new Map<string, TrackedInstance>();
  private readonly exitedIds = new Set<string>();
  private launches: Promise<unknown> = Promise.resolve();
  private polling?: Promise<void>;
  private pollTimer?: TimerHandle;
  private closed = false;

  constructor(options: Ec2ComputeOptions) {
    super();
    this.events$ = this.events.asObservable();
    this.client = options.client;
    this.spec = {
      project: options.project ?? 'elastic-image-recognition',
      fleetId: options.fleetId,
      launchTemplate: options.launchTemplate,
      instance: options.instance,
      boot: options.boot,
    };
    checkLaunchSpec(this.spec);
    this.instanceCap = options.instanceCap ?? 20;
    this.pollIntervalMs = options.pollIntervalMs ?? 15_000;
    this.launchVisibilityMs = options.launchVisibilityMs ?? 120_000;
    this.clock = options.clock ?? new SystemClock();
    if (!Number.isInteger(this.instanceCap) || this.instanceCap < 1) {
      throw new RangeError(`instanceCap must be a positive integer, got ${this.instanceCap}`);
    }
    if (!(this.pollIntervalMs > 0))
      throw new RangeError(`pollIntervalMs must be positive, got ${this.pollIntervalMs}`);
    this.schedulePoll();
  }

  /**
   * Launches one worker, unless the account already has `instanceCap` live instances. Launches
   * through one adapter run one at a time, so that two cannot both take the last free place.
   */
  async launch(request: LaunchRequest): Promise<LaunchedInstance> {
    if (this.closed) throw new InstanceLaunchError(request.workerId, 'the adapter is closed');
    const input = runInstancesInput(this.spec, request);
    const launching = this.launches.then(() => this.launchWithinCap(request.workerId, input));
    this.launches = launching.catch(() => undefined);
    return launching;
  }

  async terminate(instanceId: string, _options: TerminateOptions = {}): Promise<void> {
    const tracked = this.known.get(instanceId) ?? (await this.adoptForTermination(instanceId));
    if (!tracked) return; // already gone
    tracked.expected = true;
    tracked.terminating ??= this.requestTermination(tracked);
    await tracked.terminating;
  }

  /** The fleet's live instances, as DescribeInstances shows them, plus launches it does not show yet. */
  async list(): Promise<InstanceInfo[]> {
    let described: DescribedInstance[];
    try {
      described = await describeInstances(
        this.client,
        fleetFilters(this.spec.project, this.spec.fleetId, LIVE_STATES),
      );
    } catch (error) {
      throw new ComputeBackendError('list', error);
    }
    const listed = new Map<string, InstanceInfo>();
    for (const instance of described) {
      const tracked = this.observe(instance);
      if (tracked) listed.set(instance.instanceId, { ...tracked.info });
    }
    for (const [instanceId, tracked] of this.known) {
      if (!tracked.seen && !listed.has(instanceId)) listed.set(instanceId, { ...tracked.info });
    }
    return [...listed.values()];
  }

  /**
   * Polls DescribeInstances now: adopts the fleet's live instances that this adapter does not
   * know, and emits an exit for each known instance that is terminated, stopped or gone. The
   * timer calls it every `pollIntervalMs`; concurrent calls share one poll.
   */
  refresh(): Promise<void> {
    this.polling ??= this.poll().finally(() => (this.polling = undefined));
    return this.polling;
  }

  /** Stops polling and completes {@link events$}. The instances keep running. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.pollTimer?.cancel();
    await this.polling?.catch(() => undefined);
    this.events.complete();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.close();
  }

  private async launchWithinCap(
    workerId: string,
    input: ReturnType<typeof runInstancesInput>,
  ): Promise<LaunchedInstance> {
    const counted = await this.countLiveInstances(workerId);
    if (counted >= this.instanceCap) throw new InstanceCapReachedError(workerId, this.instanceCap, counted);
    let launched;
    try {
      launched = await this.client.send(new RunInstancesCommand(input));
    } catch (error) {
      throw new Ec2LaunchError(workerId, error);
    }
    const instance = launched.Instances?.[0];
    if (!instance?.InstanceId) {
      throw new InstanceLaunchError(workerId, 'EC2 accepted the launch but named no instance');
    }
    if (!this.known.has(instance.InstanceId)) {
      this.known.set(instance.InstanceId, {
        info: {
          instanceId: instance.InstanceId,
          workerId,
          state: 'pending',
          launchedAt: instance.LaunchTime?.getTime() ?? this.clock.now(),
        },
        expected: false,
        seen: false,
      });
    }
    return { instanceId: instance.InstanceId };
  }

  /** Live instances in the region, counting this adapter's launches that EC2 does not list yet. */
  private async countLiveInstances(workerId: string): Promise<number> {
    let described: DescribedInstance[];
    try {
      described = await describeInstances(this.client, [
        { Name: 'instance-state-name', Values: [...LIVE_STATES] },
      ]);
    } catch (error) {
      throw new Ec2LaunchError(workerId, error);
    }
    const ids = new Set(described.map((instance) => instance.instanceId));
    for (const [instanceId, tracked] of this.known) if (!tracked.seen) ids.add(instanceId);
    return ids.size;
  }

  /**
   * Finds an instance this adapter does not know in EC2, as one of the fleet's (launched before a
   * restart, say). Returns undefined when it is already gone; refuses any other instance.
   */
  private async adoptForTermination(instanceId: string): Promise<TrackedInstance | undefined> {
    if (this.exitedIds.has(instanceId)) return undefined;
    let described: DescribedInstance[];
    try {
      described = await describeInstances(this.client, [], [instanceId]);
    } catch (error) {
      if (NOT_FOUND_CODES.has(ec2ErrorCode(error) ?? '')) throw new InstanceNotFoundError(instanceId);
      throw new ComputeBackendError('terminate', error);
    }
    const found = described.find((instance) => instance.instanceId === instanceId);
    if (!found || found.fleetId !== this.spec.fleetId || !found.workerId)
      throw new InstanceNotFoundError(instanceId);
    if (!isLive(found.ec2State)) return undefined;
    return this.observe(found);
  }

  private async requestTermination(tracked: TrackedInstance): Promise<void> {
    const { instanceId } = tracked.info;
    try {
      await this.client.send(new TerminateInstancesCommand({ InstanceIds: [instanceId] }));
      tracked.info.state = 'terminating';
    } catch (error) {
      // Right after a launch EC2 may not know the instance yet; only one it has shown is gone.
      if (tracked.seen && ec2ErrorCode(error) === 'InvalidInstanceID.NotFound') {
        this.recordExit(tracked);
        return;
      }
      tracked.terminating = undefined;
      throw new ComputeBackendError(`terminate ${instanceId}`, error);
    }
  }

  private async poll(): Promise<void> {
    const described = await describeInstances(
      this.client,
      fleetFilters(this.spec.project, this.spec.fleetId),
    );
    const byId = new Map(described.map((instance) => [instance.instanceId, instance]));
    for (const instance of described) this.observe(instance);
    const now = this.clock.now();
    for (const tracked of [...this.known.values()]) {
      const instance = byId.get(tracked.info.instanceId);
      const vanished = !instance && (tracked.seen || now - tracked.info.launchedAt > this.launchVisibilityMs);
      if (vanished || (instance && !isLive(instance.ec2State))) this.recordExit(tracked);
    }
  }

  /** Updates (or adopts) the tracked instance from what EC2 shows; undefined when it is not a live worker. */
  private observe(instance: DescribedInstance): TrackedInstance | undefined {
    const tracked = this.known.get(instance.instanceId);
    if (tracked) {
      tracked.seen = true;
      if (isLive(instance.ec2State) && !tracked.expected) tracked.info.state = portState(instance.ec2State);
      return isLive(instance.ec2State) ? tracked : undefined;
    }
    if (!isLive(instance.ec2State) || !instance.workerId || this.exitedIds.has(instance.instanceId))
      return undefined;
    const adopted: TrackedInstance = {
      info: {
        instanceId: instance.instanceId,
        workerId: instance.workerId,
        state: portState(instance.ec2State),
        launchedAt: instance.launchedAt ?? this.clock.now(),
      },
      expected: instance.ec2State === 'shutting-down',
      seen: true,
    };
    this.known.set(instance.instanceId, adopted);
    return adopted;
  }

  private recordExit(tracked: TrackedInstance): void {
    const { instanceId, workerId } = tracked.info;
    if (!this.known.delete(instanceId)) return;
    this.exitedIds.add(instanceId);
    if (this.exitedIds.size > REMEMBERED_EXITS) this.exitedIds.delete(this.exitedIds.values().next().value!);
    const exit: InstanceExited = {
      kind: 'exited',
      instanceId,
      workerId,
      code: null,
      signal: null,
      expected: tracked.expected,
    };
    this.events.next(exit);
  }

  private schedulePoll(): void {
    if (this.closed) return;
    this.pollTimer = this.clock.setTimer(this.pollIntervalMs, () => {
      this.refresh()
        .catch((error: unknown) => {
          // The next poll may succeed; failing here would stop every later exit from being seen.
          this.logger.warn(`Polling EC2 for fleet ${this.spec.fleetId} failed: ${String(error)}`);
        })
        .finally(() => this.schedulePoll());
    });
  }
}
