import { Logger } from '@nestjs/common';
import { Observable, Subject } from 'rxjs';

/** Work that only the leading control plane does: going live, the autoscaler, the consumers. */
export type Duty = () => void | Promise<void>;

/**
 * Which control plane does the work that must happen once: running the machines' effects and
 * timers, the autoscaler, the consumers of the response and dead-letter queues, the retention
 * sweep. Every control plane on a log serves the API and appends what its requests make; one
 * leads. Duties run in the order they were given, once this control plane leads: at once if it
 * already does, else when it takes the lead (after the leader before it died).
 */
export abstract class Leadership {
  protected readonly logger = new Logger('Leadership');
  private readonly duties: Duty[] = [];
  private readonly lost = new Subject<string>();
  private won = false;
  /** The last duty under way, and how many are: each starts once those before it have settled. */
  private running: Promise<void> = Promise.resolve();
  private busy = 0;

  /** Says why, once, if this control plane loses the lead it held: it must then stop at once. */
  readonly lost$: Observable<string> = this.lost.asObservable();

  /** Whether this control plane leads. */
  get leading(): boolean {
    return this.won;
  }

  /**
   * Runs `duty` once this control plane leads, after the duties given before it: at once (in this
   * call, when none is under way) where it leads already, settling with the duty; else when it
   * takes the lead, resolving now.
   */
  whenLeading(duty: Duty): Promise<void> {
    this.duties.push(duty);
    return this.won ? this.runAfterOthers(duty) : Promise.resolve();
  }

  /** Gives the lead up (the process is closing). */
  abstract release(): Promise<void>;

  /**
   * The adapter's call: the lead is this control plane's now. Runs every duty given so far, in
   * order; rejects if one fails (a leader that cannot do its duties must give the lead up).
   */
  protected async takeLead(): Promise<void> {
    this.won = true;
    await Promise.all(this.duties.map((duty) => this.runAfterOthers(duty)));
  }

  private runAfterOthers(duty: Duty): Promise<void> {
    const run = this.busy === 0 ? callNow(duty) : this.running.then(duty);
    this.busy++;
    // A failed duty is its caller's to handle; the next duty still waits for it to settle.
    this.running = run.catch(() => undefined).finally(() => this.busy--);
    return run;
  }

  /** The adapter's call: the lead held is gone (its connection lost). */
  protected loseLead(reason: string): void {
    if (!this.won) return;
    this.won = false;
    this.lost.next(reason);
  }
}

/**
 * The lead of a log that has one control plane (SQLite in the data folder, whose lock keeps any
 * other away; in memory): held from the start, never lost.
 */
export class SoleLeadership extends Leadership {
  constructor() {
    super();
    void this.takeLead();
  }

  async release(): Promise<void> {}
}

/** Calls `duty` in this turn, its throw a rejection. */
function callNow(duty: Duty): Promise<void> {
  try {
    return Promise.resolve(duty());
  } catch (error) {
    return Promise.reject(error);
  }
}
