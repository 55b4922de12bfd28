import { ActorHost, Command } from '../actors/actor-host.service';
import { JOB, WORKER } from '../actors/actor-kinds';
import { InstanceNotFoundError } from '../compute/compute.errors';
import { Clock, TimerHandle } from '../ports/clock.port';
import { LaunchedInstance, LaunchRequest, TerminateOptions } from '../ports/compute.port';
import { SimulatedQueue } from './simulated-queue';

/** What the simulated compute provider needs to know besides the host, the clock and the queue. */
export interface SimulatedComputeOptions {
  /** Draws the boot time of the next instance launched (ms). */
  bootMs: () => number;
  /** Draws whether the next instance launched never becomes ready (default: never). */
  bootFails?: () => boolean;
  /** The time one worker spends on this job's image (ms). */
  serviceMs: (jobId: string) => number;
  /** Picks which of `n` waiting workers a new message wakes (long polls race). */
  pickWaiter: (n: number) => number;
  /**
   * The original's workers: a worker that finds the queue empty asks to stop, unless that would
   * leave fewer than `minWorkers` booted workers. Absent: workers wait for work.
   */
  selfStop?: { minWorkers: number; reason: string };
  /** Runs an asynchronous step of the simulation and keeps it until it settles. */
  track: (work: Promise<unknown>) => void;
}

type InstanceState = 'booting' | 'waiting' | 'working' | 'leaving' | 'exited';

/** One simulated instance running one worker. */
export interface SimulatedInstance {
  instanceId: string;
  workerId: string;
  launchedAt: number;
  exitedAt?: number;
  state: InstanceState;
  /** The job in hand (one at a time). */
  jobId?: string;
  /** Sequence number of the worker's last report. */
  seq: number;
  /** A graceful stop was asked: take nothing new, exit after the job in hand. */
  stopAsked: boolean;
  /** The worker reported finding the queue empty and has taken no job since. */
  reportedEmpty: boolean;
  timer?: TimerHandle;
}

const LABEL = { label: 'tabby', top5: [{ label: 'tabby', probability: 0.9 }] };

/**
 * A compute provider with a worker in each instance: a launched instance boots for a drawn
 * time (or, drawn too, never becomes ready), then its worker reports `WorkerStarted`, takes one job at a time from the queue and
 * reports it started and finished to the worker's and the job's machines, as the real worker and
 * response consumer do. A graceful stop lets the job in hand finish; a kill does not, and the
 * job it held goes back to the queue after the visibility timeout.
 */
export class SimulatedCompute {
  private readonly instances: SimulatedInstance[] = [];
  private readonly alive = new Set<SimulatedInstance>();
  private readonly byWorker = new Map<string, SimulatedInstance>();
  private readonly byInstance = new Map<string, SimulatedInstance>();
  private waiters: SimulatedInstance[] = [];
  private peak = 0;
  /** Kills (from any source) of an instance that held a job. */
  busyKilled = 0;
  /** Graceful stops that reached an instance holding a job (it finished the job first). */
  stopsWhileBusy = 0;
  /** Workers that stopped themselves on an empty queue (the original). */
  selfStops = 0;
  /** Launches whose instance never became ready. */
  bootFailures = 0;
  /** Times each job was finished by a worker. */
  readonly completions = new Map<string, number>();

  constructor(
    private readonly host: ActorHost,
    private readonly clock: Clock,
    private readonly queue: SimulatedQueue,
    private readonly options: SimulatedComputeOptions,
  ) {
    queue.onVisible = () => this.wake();
  }

  /** Starts an instance for the worker, as the compute port's `launch` does. */
  async launch({ workerId }: LaunchRequest): Promise<LaunchedInstance> {
    const instance: SimulatedInstance = {
      instanceId: `i-${(this.instances.length + 1).toString().padStart(5, '0')}`,
      workerId,
      launchedAt: this.clock.now(),
      state: 'booting',
      seq: 0,
      stopAsked: false,
      reportedEmpty: false,
    };
    this.instances.push(instance);
    this.byWorker.set(workerId, instance);
    this.byInstance.set(instance.instanceId, instance);
    this.alive.add(instance);
    this.peak = Math.max(this.peak, this.alive.size);
    const bootMs = this.options.bootMs();
    if (this.options.bootFails?.()) this.bootFailures++;
    else instance.timer = this.clock.setTimer(bootMs, () => this.boot(instance));
    return { instanceId: instance.instanceId };
  }

  /**
   * As the compute port's `terminate`: drain and exit, or (grace 0) kill. An instance gone
   * already is fine.
   * @throws InstanceNotFoundError for an instance never launched.
   */
  async terminate(instanceId: string, { graceMs }: TerminateOptions = {}): Promise<void> {
    const instance = this.byInstance.get(instanceId);
    if (!instance) throw new InstanceNotFoundError(instanceId);
    if (instance.state === 'exited') return;
    if (graceMs === 0) {
      this.kill(instance.workerId);
      return;
    }
    instance.stopAsked = true;
    if (instance.jobId !== undefined) this.stopsWhileBusy++;
    if (instance.state !== 'working') this.exit(instance, 0, null);
  }

  /** Terminates the instance at once, whatever it is doing. Returns whether it held a job. */
  kill(workerId: string): boolean {
    const instance = this.byWorker.get(workerId);
    if (!instance || instance.state === 'exited') return false;
    const held = instance.jobId;
    if (held !== undefined) {
      this.busyKilled++;
      this.queue.abandon(held);
      instance.jobId = undefined;
    }
    this.exit(instance, null, 'SIGKILL');
    return held !== undefined;
  }

  /** Instances that have not exited, oldest first. */
  live(): SimulatedInstance[] {
    return [...this.alive];
  }

  /** Every instance launched so far, with its launch and exit times. */
  all(): readonly SimulatedInstance[] {
    return this.instances;
  }

  /** Most instances alive at once since the last {@link resetPeak}. */
  get peakInstances(): number {
    return this.peak;
  }

  resetPeak(): void {
    this.peak = this.alive.size;
  }

  private boot(instance: SimulatedInstance): void {
    instance.timer = undefined;
    instance.state = 'waiting';
    this.report(instance.workerId, {
      type: 'WorkerStarted',
      instanceId: instance.instanceId,
      seq: ++instance.seq,
    });
    this.poll(instance);
  }

  /** The worker's loop: take the next message, or stop itself, or wait for one. */
  private poll(instance: SimulatedInstance): void {
    if (instance.state === 'exited') return;
    if (instance.stopAsked) return this.exit(instance, 0, null);
    const delivery = this.queue.receive();
    if (delivery) return this.work(instance, delivery.jobId, delivery.receiveCount);
    const selfStop = this.options.selfStop;
    if (selfStop && this.booted() > selfStop.minWorkers) return this.leave(instance, selfStop.reason);
    // As the real worker does: the first empty receive since its last job is reported.
    if (!selfStop && !instance.reportedEmpty) {
      instance.reportedEmpty = true;
      this.report(instance.workerId, { type: 'WorkerQueueEmpty', seq: ++instance.seq });
    }
    instance.state = 'waiting';
    this.waiters.push(instance);
  }

  private work(instance: SimulatedInstance, jobId: string, attempt: number): void {
    instance.state = 'working';
    instance.jobId = jobId;
    instance.reportedEmpty = false;
    // Reported in the same turn as the receive: a termination request queued after it sees the job.
    this.report(instance.workerId, { type: 'WorkerJobsStarted', jobs: [{ jobId }], seq: ++instance.seq });
    this.options.track(
      this.host.dispatch(JOB.streamId(jobId), {
        type: 'JobAttemptStarted',
        workerId: instance.workerId,
        attempt,
      }),
    );
    const serviceMs = this.options.serviceMs(jobId);
    instance.timer = this.clock.setTimer(serviceMs, () => this.finish(instance, jobId, serviceMs));
  }

  private finish(instance: SimulatedInstance, jobId: string, serviceMs: number): void {
    instance.timer = undefined;
    instance.jobId = undefined;
    this.completions.set(jobId, (this.completions.get(jobId) ?? 0) + 1);
    this.options.track(
      this.host.dispatch(JOB.streamId(jobId), {
        type: 'JobClassified',
        workerId: instance.workerId,
        ...LABEL,
        serviceMs,
      }),
    );
    this.queue.delete(jobId);
    this.report(instance.workerId, { type: 'WorkerJobsFinished', jobIds: [jobId], seq: ++instance.seq });
    this.poll(instance);
  }

  /** The original's worker on an empty queue: it asks its machine to stop it. */
  private leave(instance: SimulatedInstance, reason: string): void {
    instance.state = 'leaving';
    this.options.track(
      this.host
        .dispatch(WORKER.streamId(instance.workerId), { type: 'WorkerTerminationRequested', reason })
        .then((result) => {
          if (result.accepted) {
            this.selfStops++;
          } else if (instance.state === 'leaving') {
            // Refused: it waits for work like any other worker.
            instance.state = 'waiting';
            this.waiters.push(instance);
            this.wake();
          }
        }),
    );
  }

  private exit(instance: SimulatedInstance, exitCode: number | null, signal: string | null): void {
    instance.timer?.cancel();
    instance.timer = undefined;
    instance.state = 'exited';
    instance.exitedAt = this.clock.now();
    this.alive.delete(instance);
    this.waiters = this.waiters.filter((w) => w !== instance);
    this.report(instance.workerId, { type: 'WorkerStopped', exitCode, signal });
  }

  /** Hands newly visible messages to waiting workers, one each. */
  private wake(): void {
    while (this.waiters.length > 0 && this.queue.counts().visible > 0) {
      const [instance] = this.waiters.splice(this.options.pickWaiter(this.waiters.length), 1);
      this.poll(instance);
    }
  }

  private booted(): number {
    let n = 0;
    for (const i of this.alive) if (i.state === 'waiting' || i.state === 'working') n++;
    return n;
  }

  private report(workerId: string, command: Command): void {
    this.options.track(this.host.dispatch(WORKER.streamId(workerId), command));
  }
}
