/**
 * Timers as effects. A machine asks the host to arm a timer; when it fires, the host appends
 * `event` (stamped with the due time) to the machine's own stream, so the firing is in the log
 * and a replay reaches the same state without re-running the timer. After a restart the host
 * re-arms the timers that were pending, for the time they had left.
 */

/** Params of the `startTimer` action. Starting a timer whose id is already armed restarts it. */
export interface StartTimerParams {
  timerId: string;
  delayMs: number;
  /** The event type appended when the timer fires. */
  eventType: string;
}

/** Params of the `cancelTimer` action. Cancelling a timer that is not armed does nothing. */
export interface CancelTimerParams {
  timerId: string;
}

/** Names of the two timer actions every machine may emit; the host implements both. */
export const TIMER_ACTIONS = ['startTimer', 'cancelTimer'] as const;

/** No-op implementations to declare the timer actions in `setup()`; the host executes them from the returned actions. */
export const timerActionDeclarations = {
  startTimer: (_: unknown, _params: StartTimerParams) => {},
  cancelTimer: (_: unknown, _params: CancelTimerParams) => {},
};

/** The effects among `effects` that are not timers: those a feature performs. */
export function withoutTimers<T extends { type: string }>(effects: readonly T[]): T[] {
  return effects.filter((effect) => !(TIMER_ACTIONS as readonly string[]).includes(effect.type));
}
