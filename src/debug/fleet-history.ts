import { StateCensus } from './state-census';

/** What the history reads the backlog and the fleet from. */
export type CensusTotals = Pick<StateCensus, 'total'>;

/** Job states that are still work for the fleet: the request queue's waiting and in-flight messages. */
export const BACKLOG_STATES = ['uploaded', 'queued'] as const;
/** Worker states that count as the fleet: launched and not yet gone. */
export const FLEET_STATES = ['pending', 'running', 'idle', 'terminating'] as const;

/** The backlog and the fleet size from some moment on. */
export interface FleetPoint {
  /** Epoch ms, from the `at` of the event that changed them. */
  at: number;
  backlog: number;
  fleet: number;
}

/**
 * Backlog and fleet size over time, derived from the log's events rather than sampled by the
 * controller loop: fed from every folded job and worker event (the boot replay included), so a
 * restarted control plane draws the same history. Keeps a point only when a number changes, and
 * only the newest `capacity` points.
 */
export class FleetHistory {
  private readonly kept: FleetPoint[] = [];
  /** Points added or replaced since {@link takeUnwritten} was last called, by time. */
  private readonly unwritten = new Map<number, FleetPoint>();

  constructor(private readonly capacity = 2000) {}

  /** Reads backlog and fleet from `census` at time `at`; adds a point if either changed. */
  record(at: number, census: CensusTotals): void {
    const point = {
      at,
      backlog: census.total('job', BACKLOG_STATES),
      fleet: census.total('worker', FLEET_STATES),
    };
    const last = this.kept[this.kept.length - 1];
    if (last && last.backlog === point.backlog && last.fleet === point.fleet) return;
    if (last && last.at === at) this.kept[this.kept.length - 1] = point;
    else this.kept.push(point);
    this.unwritten.set(at, point);
    // Trimmed in batches, so a long replay does not shift the whole array at every event.
    if (this.kept.length > this.capacity * 1.5) this.kept.splice(0, this.kept.length - this.capacity);
  }

  /** Takes back points kept elsewhere, oldest first (before any is recorded). */
  restore(points: readonly FleetPoint[]): void {
    this.kept.splice(0, this.kept.length, ...points.slice(-this.capacity));
  }

  /** The points added or replaced since the last call, oldest first. */
  takeUnwritten(): FleetPoint[] {
    const points = [...this.unwritten.values()];
    this.unwritten.clear();
    return points;
  }

  /** The most points it keeps. */
  get maxPoints(): number {
    return this.capacity;
  }

  /** The points, oldest first (at most `capacity`). */
  points(): FleetPoint[] {
    return this.kept.slice(-this.capacity);
  }
}
