import { Clock, TimerHandle } from '../ports/clock.port';

/** Wall-clock time and Node timers. Timers are unref'd so they never keep a process alive. */
export class SystemClock extends Clock {
  now(): number {
    return Date.now();
  }

  setTimer(delayMs: number, callback: () => void): TimerHandle {
    const timer = setTimeout(callback, Math.max(0, delayMs));
    timer.unref();
    return { cancel: () => clearTimeout(timer) };
  }
}
