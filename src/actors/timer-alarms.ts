import type { Clock, TimerHandle } from '../ports/clock.port';
import type { PendingTimer } from './timer-book';

/**
 * The clock's timers behind the machines' pending timers, once the host is live: each fires
 * `fire` at its due time, unless it was disarmed or armed again first.
 */
export class TimerAlarms {
  private readonly armed = new Map<string, TimerHandle>();
  private stopped = false;

  /** @param fire what a timer due now does: the host checks it is still current, then dispatches its event. */
  constructor(
    private readonly clock: Clock,
    private readonly fire: (timer: PendingTimer) => void,
  ) {}

  /** Arms a timer, replacing the one of the same stream and id; once stopped, arms nothing. */
  arm(timer: PendingTimer): void {
    if (this.stopped) return;
    const key = keyOf(timer.streamId, timer.timerId);
    this.armed.get(key)?.cancel();
    this.armed.set(
      key,
      this.clock.setTimer(timer.dueAt - this.clock.now(), () => {
        this.armed.delete(key);
        this.fire(timer);
      }),
    );
  }

  /** What one folded event did to its stream's timers: disarms the cancelled ones, arms the started ones. */
  apply(streamId: string, { started, cancelled }: { started: PendingTimer[]; cancelled: string[] }): void {
    cancelled.forEach((timerId) => this.disarm(streamId, timerId));
    started.forEach((timer) => this.arm(timer));
  }

  /** Cancels every armed timer, and arms none after. */
  stop(): void {
    this.stopped = true;
    this.armed.forEach((handle) => handle.cancel());
    this.armed.clear();
  }

  private disarm(streamId: string, timerId: string): void {
    const key = keyOf(streamId, timerId);
    this.armed.get(key)?.cancel();
    this.armed.delete(key);
  }
}

const keyOf = (streamId: string, timerId: string) => `${streamId}\u0000${timerId}`;
