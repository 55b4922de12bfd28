import { randomBytes } from 'node:crypto';
import { Subject } from 'rxjs';
import type { ControllerContext } from '../../state-machines/controller.machine';
import type { JobContext } from '../../state-machines/job.machine';
import {
  ScalingDecision,
  ScalingInputs,
  ScalingPolicy,
  ScalingSettings,
} from '../../state-machines/scaling-policy';
import type { WorkerContext } from '../../state-machines/worker.machine';
import { ActorHost } from '../actors/actor-host.service';
import { CONTROLLER_STREAM, JOB, WORKER } from '../actors/actor-kinds';
import { coalesced } from '../common/coalesced';
import { Clock } from '../ports/clock.port';

/** Backlog as the request queue reports it. */
export interface BacklogCounts {
  visible: number;
  inFlight: number;
}

/**
 * 80 random bits, hex: what names the workers of one scale-out, so that a worker id (and the EC2
 * client token made from it) cannot be guessed or collide with another deployment's.
 */
export const randomLaunchNonce = (): string => randomBytes(10).toString('hex');

/** The arrival rate the policy sees is that of the uploads of the last minute. */
const ARRIVAL_WINDOW_S = 60;

/** Weight of the newest sample in the service-time moving average. */
const SERVICE_TIME_ALPHA = 0.2;

/**
 * One autoscaler, independent of Nest, so that the service and the scaling simulator run the
 * same code: each `tick()` gathers the backlog and the fleet (from the machines), asks the pure
 * policy for a decision and offers it to the controller machine. Holds are recorded only when
 * they change the picture (action, desired or capacity), so a quiet service does not fill the log.
 * The service time per image is a moving average kept from the `JobClassified` events, and the
 * arrival rate of the last minute is counted from the `JobUploaded` ones. Ticks run one at a
 * time, and those asked for while one runs share the next.
 */
export class ScalingLoop {
  private serviceTimeMs?: number;
  /** Uploads per second of the clock, for the last {@link ARRIVAL_WINDOW_S} seconds (a ring). */
  private readonly arrivals = Array.from({ length: ARRIVAL_WINDOW_S }, () => ({ second: -1, count: 0 }));
  /**
   * Emits when a worker fell idle on finding the queue empty (`WorkerQueueEmpty`): whoever ticks
   * the loop should look at once, since at a burst's end each such worker can be stopped now
   * rather than a period later.
   */
  readonly lookWanted$ = new Subject<void>();
  /** One look at a time; the looks asked for meanwhile share the next. */
  readonly tick: () => Promise<ScalingDecision | undefined> = coalesced(() => this.look());

  constructor(
    private readonly host: ActorHost,
    private readonly clock: Clock,
    private readonly backlog: () => Promise<BacklogCounts>,
    private readonly policy: ScalingPolicy,
    readonly settings: ScalingSettings,
    private readonly launchNonce: () => string = randomLaunchNonce,
  ) {
    host.changes$.subscribe(({ actor, event }) => {
      if (actor.kind === WORKER && event.type === 'WorkerQueueEmpty' && actor.snapshot.value === 'idle')
        this.lookWanted$.next();
      if (actor.kind !== JOB) return;
      if (event.type === 'JobUploaded') {
        const { at } = event.data as { at?: number };
        this.countArrival(at ?? event.recordedAt);
        return;
      }
      if (event.type !== 'JobClassified') return;
      const { serviceMs } = event.data as { serviceMs?: number };
      const sample = serviceMs ?? serviceTimeOf(actor.snapshot.context as JobContext);
      if (sample === undefined || !(sample > 0)) return;
      this.serviceTimeMs =
        this.serviceTimeMs === undefined
          ? sample
          : this.serviceTimeMs + SERVICE_TIME_ALPHA * (sample - this.serviceTimeMs);
    });
  }

  /** The moving average of the service time per image, if any job was classified yet. */
  get measuredServiceTimeMs(): number | undefined {
    return this.serviceTimeMs;
  }

  /**
   * Creates the controller, or records new settings if they changed since the log was written.
   * After a restart, the service time measured before it is taken from the last decision, which
   * logged it, so that the first decisions do not fall back to the default.
   */
  async configure(cooldownMs: number): Promise<void> {
    const controller = this.host.get(CONTROLLER_STREAM);
    const context = controller?.snapshot.context as ControllerContext | undefined;
    this.serviceTimeMs ??= context?.lastDecision?.inputs.serviceTimeMs;
    if (!context) {
      await this.host.dispatch(CONTROLLER_STREAM, {
        type: 'ControllerStarted',
        settings: this.settings,
        cooldownMs,
      });
      return;
    }
    if (
      JSON.stringify(context.settings) !== JSON.stringify(this.settings) ||
      context.cooldownMs !== cooldownMs
    ) {
      await this.host.dispatch(CONTROLLER_STREAM, {
        type: 'ControllerConfigured',
        settings: this.settings,
        cooldownMs,
      });
    }
  }

  /** One look at the backlog and the fleet; returns the decision if one was recorded. */
  private async look(): Promise<ScalingDecision | undefined> {
    const controller = this.host.get(CONTROLLER_STREAM);
    if (!controller || ['scalingOut', 'scalingIn'].includes(controller.snapshot.value as string))
      return undefined;
    const decision = this.policy(await this.observe(), this.settings);
    const last = (controller.snapshot.context as ControllerContext).lastDecision;
    const unchanged =
      last?.action === decision.action &&
      last.desired === decision.desired &&
      last.capacity === decision.capacity;
    if (decision.action === 'hold' && unchanged) return undefined;
    const result = await this.host.dispatch(CONTROLLER_STREAM, {
      type: 'ScalingDecided',
      decision,
      // The workers a scale-out launches are named after it (see workerIdFor).
      ...(decision.action === 'scaleOut' && { launchNonce: this.launchNonce() }),
    });
    return result.accepted ? decision : undefined;
  }

  /** The policy's inputs: the queue's counts and the fleet as the worker machines know it. */
  async observe(): Promise<ScalingInputs> {
    const { visible, inFlight } = await this.backlog();
    const now = this.clock.now();
    const workers = { pending: 0, running: 0, idle: 0, terminating: 0 };
    const idleWorkers: ScalingInputs['idleWorkers'] = [];
    const pendingWorkers: ScalingInputs['pendingWorkers'] = [];
    for (const worker of this.host.list(WORKER)) {
      const state = worker.snapshot.value as string;
      const context = worker.snapshot.context as WorkerContext;
      if (!(state in workers)) continue;
      workers[state as keyof typeof workers]++;
      if (state === 'idle')
        idleWorkers.push({
          id: worker.id,
          idleForMs: now - (context.idleSince ?? now),
          launchedForMs: now - context.launchedAt,
        });
      if (state === 'pending') pendingWorkers.push({ id: worker.id, ageMs: now - context.launchedAt });
    }
    idleWorkers.sort((a, b) => b.idleForMs - a.idleForMs);
    return {
      visible,
      inFlight,
      workers,
      idleWorkers,
      pendingWorkers,
      serviceTimeMs: this.serviceTimeMs,
      arrivalsPerS: this.arrivalsPerS(now),
    };
  }

  private countArrival(at: number): void {
    const second = Math.floor(at / 1000);
    const bucket = this.arrivals[second % ARRIVAL_WINDOW_S];
    if (bucket.second !== second) Object.assign(bucket, { second, count: 0 });
    bucket.count++;
  }

  /** Uploads per second over the last {@link ARRIVAL_WINDOW_S} seconds before `now`. */
  private arrivalsPerS(now: number): number {
    const second = Math.floor(now / 1000);
    const recent = this.arrivals.filter((b) => b.second > second - ARRIVAL_WINDOW_S && b.second <= second);
    return recent.reduce((sum, b) => sum + b.count, 0) / ARRIVAL_WINDOW_S;
  }
}

/** A job's own time in a worker, when nothing better was reported. */
function serviceTimeOf(context: JobContext): number | undefined {
  return context.classifiedAt !== undefined && context.startedAt !== undefined
    ? context.classifiedAt - context.startedAt
    : undefined;
}
