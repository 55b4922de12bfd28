import { CancelTimerParams, StartTimerParams } from '../../state-machines/timers';
import { Effect } from '../../state-machines/fold';

/** A timer a machine asked for and that has neither fired nor been cancelled. */
export interface PendingTimer {
  streamId: string;
  timerId: string;
  eventType: string;
  dueAt: number;
  /** Changes whenever the timer is restarted, so a superseded firing can be recognised. */
  generation: number;
}

/**
 * The timers that are pending, kept from the startTimer / cancelTimer effects of every step,
 * replayed or live. After a replay it tells exactly which timers to re-arm, and when they are due.
 */
export class TimerBook {
  /** Pending timers by stream, then by timer id: a step looks only at its own stream's. */
  private readonly timers = new Map<string, Map<string, PendingTimer>>();
  private generation = 0;

  /**
   * Applies one folded event: a timer whose event this is has fired, and the step's timer
   * effects, made at time `at`, start or cancel others. Returns the timers started and cancelled.
   */
  apply(
    streamId: string,
    eventType: string,
    effects: Effect[],
    at: number,
  ): { started: PendingTimer[]; cancelled: string[] } {
    const started: PendingTimer[] = [];
    const cancelled: string[] = [];
    let own = this.timers.get(streamId);
    if (own) {
      for (const [timerId, timer] of own) if (timer.eventType === eventType) own.delete(timerId);
    }
    for (const effect of effects) {
      if (isStartTimer(effect)) {
        const { timerId, delayMs, eventType } = effect.params;
        const timer = { streamId, timerId, eventType, dueAt: at + delayMs, generation: ++this.generation };
        if (!own) this.timers.set(streamId, (own = new Map()));
        own.set(timerId, timer);
        started.push(timer);
      } else if (isCancelTimer(effect)) {
        const { timerId } = effect.params;
        if (own?.delete(timerId)) cancelled.push(timerId);
      }
    }
    if (own?.size === 0) this.timers.delete(streamId);
    return { started, cancelled };
  }

  /** Whether `timer` is still the pending one for its id (not fired, cancelled or restarted since). */
  isCurrent(timer: PendingTimer): boolean {
    return this.timers.get(timer.streamId)?.get(timer.timerId)?.generation === timer.generation;
  }

  /** The stream's pending timers. */
  of(streamId: string): PendingTimer[] {
    return [...(this.timers.get(streamId)?.values() ?? [])];
  }

  /** Takes back timers a checkpoint kept, as pending (each with a fresh generation). */
  restore(timers: ReadonlyArray<Omit<PendingTimer, 'generation'>>): void {
    for (const timer of timers) {
      let own = this.timers.get(timer.streamId);
      if (!own) this.timers.set(timer.streamId, (own = new Map()));
      own.set(timer.timerId, { ...timer, generation: ++this.generation });
    }
  }

  pending(): PendingTimer[] {
    return [...this.timers.values()].flatMap((own) => [...own.values()]);
  }
}

const isStartTimer = (effect: Effect): effect is Effect & { params: StartTimerParams } =>
  effect.type === 'startTimer';
const isCancelTimer = (effect: Effect): effect is Effect & { params: CancelTimerParams } =>
  effect.type === 'cancelTimer';
