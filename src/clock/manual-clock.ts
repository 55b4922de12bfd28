import { Clock, TimerHandle } from '../ports/clock.port';

interface PendingTimer {
  dueAt: number;
  seq: number;
  callback: () => void;
}

/**
 * A clock that moves only when told to. Used by tests and by the scaling simulator, so that
 * hours of virtual time run in milliseconds and every run is repeatable.
 */
export class ManualClock extends Clock {
  private timers = new Set<PendingTimer>();
  private seq = 0;

  /** @param current start time, ms since the epoch (default: 2026-01-01T00:00:00Z) */
  constructor(private current = Date.UTC(2026, 0, 1)) {
    super();
  }

  now(): number {
    return this.current;
  }

  setTimer(delayMs: number, callback: () => void): TimerHandle {
    const timer = { dueAt: this.current + Math.max(0, delayMs), seq: this.seq++, callback };
    this.timers.add(timer);
    return { cancel: () => this.timers.delete(timer) };
  }

  /** Number of timers armed and not yet fired or cancelled. */
  get pendingTimers(): number {
    return this.timers.size;
  }

  /** Moves time forward by `ms`, firing due timers in due order (ties in the order they were set). */
  advance(ms: number): void {
    const target = this.current + ms;
    for (;;) {
      const next = [...this.timers]
        .filter((t) => t.dueAt <= target)
        .sort((a, b) => a.dueAt - b.dueAt || a.seq - b.seq)[0];
      if (!next) break;
      this.timers.delete(next);
      this.current = next.dueAt;
      next.callback();
    }
    this.current = target;
  }
}
