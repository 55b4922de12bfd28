/** A cancellable handle returned by {@link Clock.setTimer}. */
export interface TimerHandle {
  cancel(): void;
}

/**
 * The only source of time in the service. Machines never read a clock: the host reads this one
 * and passes times in event payloads, so a simulated clock can drive the same code.
 */
export abstract class Clock {
  /** Milliseconds since the Unix epoch. */
  abstract now(): number;
  /** Runs `callback` once, `delayMs` from now (a delay ≤ 0 runs it on the next turn). */
  abstract setTimer(delayMs: number, callback: () => void): TimerHandle;
}
