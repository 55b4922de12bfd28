import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { getPriority, setPriority } from 'node:os';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { Logger, type OnApplicationShutdown } from '@nestjs/common';
import { Observable, Subject } from 'rxjs';
import { SystemClock } from '../../clock/system-clock';
import { InstanceLaunchError, InstanceNotFoundError } from '../../compute/compute.errors';
import type { Clock, TimerHandle } from '../../ports/clock.port';
import {
  Compute,
  ComputeEvent,
  DEFAULT_TERMINATE_GRACE_MS,
  InstanceExited,
  InstanceInfo,
  LaunchedInstance,
  LaunchRequest,
  TerminateOptions,
} from '../../ports/compute.port';

/** One line a worker wrote to its stdout or stderr (without the line break). */
export interface WorkerOutputLine {
  instanceId: string;
  workerId: string;
  stream: 'stdout' | 'stderr';
  line: string;
}

/** Options of {@link ProcessCompute}. */
export interface ProcessComputeOptions {
  /** Executable each worker runs. Default: this process's Node binary (`process.execPath`). */
  command?: string;
  /** Its arguments. Default: `['dist/src/worker.js']`, the built worker entry, relative to `cwd`. */
  args?: string[];
  /** Working directory of the workers. Default: `process.cwd()`. */
  cwd?: string;
  /** Environment every worker starts from, before the request's and the adapter's own. Default: `process.env`. */
  baseEnv?: NodeJS.ProcessEnv;
  /** Grace used by `terminate` and `shutdown` when they name none. Default: {@link DEFAULT_TERMINATE_GRACE_MS}. */
  defaultGraceMs?: number;
  /** Receives each output line of each worker. Default: logged by a Nest `Logger` ('ProcessCompute'). */
  onOutput?: (line: WorkerOutputLine) => void;
  /** Times the grace period and stamps `launchedAt`. Default: a {@link SystemClock}. */
  clock?: Clock;
  /**
   * How much lower the workers' CPU priority is than this process's (added to its nice value, up
   * to 19): on a machine the workers share with the control plane, a worker classifying flat out
   * leaves it the CPU it needs to take uploads and hand out jobs, and takes all the rest. Default: 0.
   */
  niceness?: number;
}

interface ManagedProcess {
  info: InstanceInfo;
  child: ChildProcess;
  expected: boolean;
  killTimer?: TimerHandle;
  exited: Promise<InstanceExited>;
}

/** Ids of exited instances remembered so that a late `terminate` for one still succeeds. */
const REMEMBERED_EXITS = 10_000;

/**
 * A {@link Compute} whose instances are child processes on this machine (the `local` profile).
 * Each child gets `WORKER_ID` and `INSTANCE_ID` in its environment; terminating sends SIGTERM, then
 * SIGKILL when the grace period ends. Signals go to the child only, so the command should be the
 * worker itself rather than a shell or `npm` wrapper that would not pass them on.
 *
 * Stronger than the port requires: `terminate` resolves only once the process has exited, and an
 * exit is emitted after the last of the child's output lines.
 */
export class ProcessCompute extends Compute implements OnApplicationShutdown {
  readonly events$: Observable<ComputeEvent>;
  private readonly events = new Subject<ComputeEvent>();
  private readonly instances = new Map<string, ManagedProcess>();
  private readonly exitedIds = new Set<string>();
  private readonly launching = new Set<Promise<unknown>>();
  private readonly logger = new Logger(ProcessCompute.name);
  private readonly command: string;
  private readonly args: string[];
  private readonly cwd: string;
  private readonly baseEnv: NodeJS.ProcessEnv;
  private readonly defaultGraceMs: number;
  private readonly onOutput: (line: WorkerOutputLine) => void;
  private readonly clock: Clock;
  private readonly niceness: number;
  private shuttingDown = false;

  constructor(options: ProcessComputeOptions = {}) {
    super();
    this.events$ = this.events.asObservable();
    this.command = options.command ?? process.execPath;
    this.args = options.args ?? ['dist/src/worker.js'];
    this.cwd = options.cwd ?? process.cwd();
    this.baseEnv = options.baseEnv ?? process.env;
    this.defaultGraceMs = options.defaultGraceMs ?? DEFAULT_TERMINATE_GRACE_MS;
    this.onOutput = options.onOutput ?? ((output) => this.logOutput(output));
    this.clock = options.clock ?? new SystemClock();
    this.niceness = options.niceness ?? 0;
  }

  async launch(request: LaunchRequest): Promise<LaunchedInstance> {
    if (this.shuttingDown) throw new InstanceLaunchError(request.workerId, 'the adapter is shutting down');
    const starting = this.start(request);
    this.launching.add(starting);
    try {
      return await starting;
    } finally {
      this.launching.delete(starting);
    }
  }

  async terminate(instanceId: string, options: TerminateOptions = {}): Promise<void> {
    const managed = this.instances.get(instanceId);
    if (!managed) {
      if (this.exitedIds.has(instanceId)) return;
      throw new InstanceNotFoundError(instanceId);
    }
    if (!managed.expected) {
      managed.expected = true;
      managed.info.state = 'terminating';
      managed.child.kill('SIGTERM');
      const graceMs = Math.max(0, options.graceMs ?? this.defaultGraceMs);
      managed.killTimer = this.clock.setTimer(graceMs, () => managed.child.kill('SIGKILL'));
    }
    await managed.exited;
  }

  async list(): Promise<InstanceInfo[]> {
    return [...this.instances.values()].map(({ info }) => ({ ...info }));
  }

  /**
   * Terminates every instance (launches in flight included) with the given grace, waits for all
   * of them to exit, then completes {@link events$}. Later launches are refused.
   */
  async shutdown(graceMs = this.defaultGraceMs): Promise<void> {
    this.shuttingDown = true;
    await Promise.allSettled([...this.launching]);
    await Promise.all([...this.instances.keys()].map((id) => this.terminate(id, { graceMs })));
    this.events.complete();
  }

  /** Nest calls this on `app.close()`, so no worker outlives the control plane's clean exit. */
  async onApplicationShutdown(): Promise<void> {
    await this.shutdown();
  }

  private async start({ workerId, env }: LaunchRequest): Promise<LaunchedInstance> {
    const instanceId = `proc-${randomUUID()}`;
    const child = spawn(this.command, this.args, {
      cwd: this.cwd,
      env: {
        // The control plane has shown the AWS SDK's Node-version notice once already, if at all.
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        ...this.baseEnv,
        ...env,
        WORKER_ID: workerId,
        INSTANCE_ID: instanceId,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const info: InstanceInfo = { instanceId, workerId, state: 'running', launchedAt: this.clock.now() };
    // Listeners go on before the spawn is awaited, so that no line and no exit can be missed.
    this.forwardLines(child.stdout, 'stdout', info);
    this.forwardLines(child.stderr, 'stderr', info);
    const exited = new Promise<InstanceExited>((resolve) => {
      // 'close' rather than 'exit': it comes after the child's stdout and stderr have ended.
      child.once('close', (code, signal) => resolve(this.recordExit(managed, code, signal)));
    });
    const managed: ManagedProcess = { info, child, expected: false, exited };
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', () => {
        this.instances.set(instanceId, managed);
        this.lowerPriority(child, workerId);
        resolve();
      });
      child.on('error', (error) => {
        if (this.instances.has(instanceId)) {
          this.logger.error(`Worker ${workerId} (${instanceId}): ${error.message}`);
        } else {
          reject(new InstanceLaunchError(workerId, error.message, { cause: error }));
        }
      });
    });
    return { instanceId };
  }

  private lowerPriority(child: ChildProcess, workerId: string): void {
    if (this.niceness === 0) return;
    try {
      setPriority(child.pid!, Math.min(19, getPriority() + this.niceness));
    } catch (error) {
      this.logger.warn(`Worker ${workerId} keeps this process's priority: ${(error as Error).message}`);
    }
  }

  private recordExit(managed: ManagedProcess, code: number | null, signal: string | null): InstanceExited {
    const { instanceId, workerId } = managed.info;
    managed.killTimer?.cancel();
    const exit: InstanceExited = {
      kind: 'exited',
      instanceId,
      workerId,
      code,
      signal,
      expected: managed.expected,
    };
    if (!this.instances.delete(instanceId)) return exit; // never spawned: launch already rejected
    this.exitedIds.add(instanceId);
    if (this.exitedIds.size > REMEMBERED_EXITS) this.exitedIds.delete(this.exitedIds.values().next().value!);
    this.events.next(exit);
    return exit;
  }

  private forwardLines(stream: Readable, name: WorkerOutputLine['stream'], info: InstanceInfo): void {
    createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => {
      try {
        this.onOutput({ instanceId: info.instanceId, workerId: info.workerId, stream: name, line });
      } catch (error) {
        this.logger.error(`onOutput threw for ${info.instanceId}: ${String(error)}`);
      }
    });
  }

  private logOutput({ workerId, instanceId, stream, line }: WorkerOutputLine): void {
    // A worker that logs JSON lines already names itself: pass its records through untouched.
    if (line.startsWith('{')) {
      process.stdout.write(`${line}\n`);
      return;
    }
    const message = `[${workerId} ${instanceId}] ${line}`;
    if (stream === 'stderr') this.logger.warn(message);
    else this.logger.log(message);
  }
}
