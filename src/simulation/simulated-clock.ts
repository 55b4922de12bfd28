import { ManualClock } from '../clock/manual-clock';
import { TimerHandle } from '../ports/clock.port';

/**
 * A {@link ManualClock} that also tells when its next timer is due, so the simulator can jump
 * from one event to the next instead of stepping through empty time.
 */
export class SimulatedClock extends ManualClock {
  private readonly due = new Set<{ dueAt: number }>();

  override setTimer(delayMs: number, callback: () => void): TimerHandle {
    const entry = { dueAt: this.now() + Math.max(0, delayMs) };
    this.due.add(entry);
    const handle = super.setTimer(delayMs, () => {
      this.due.delete(entry);
      callback();
    });
    return {
      cancel: () => {
        this.due.delete(entry);
        handle.cancel();
      },
    };
  }

  /** When the earliest pending timer is due, or undefined when none is pending. */
  nextDueAt(): number | undefined {
    let next: number | undefined;
    for (const { dueAt } of this.due) if (next === undefined || dueAt < next) next = dueAt;
    return next;
  }
}
