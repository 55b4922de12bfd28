import type { EffectDeclarations, ParamsOf } from '../../state-machines/effects';
import type { StoredEvent } from '../ports/event-store.port';
import type { Actor, Command, DispatchResult } from './actor-host.service';

/** What an effect handler may do with the actors: dispatch events and look actors up. */
export interface EffectHostView {
  dispatch(streamId: string, command: Command): Promise<DispatchResult>;
  get(streamId: string): Actor | undefined;
}

/** Where an effect came from, and the host to report back to. */
export interface EffectContext {
  /** The stream of the actor that asked for the effect. */
  streamId: string;
  /** The event whose transition asked for it (on a resume after a restart, that same event). */
  event: StoredEvent;
  host: EffectHostView;
}

/**
 * One handler per effect a machine declares, typed from the declarations: a missing, extra or
 * misspelled handler, or one that reads params the effect does not have, does not compile.
 *
 * A handler must be safe to run again: the host runs an effect once more after a restart when
 * its completion was not recorded, and retries it when it throws. It reports completion by
 * dispatching the event its machine waits for.
 */
export type EffectHandlers<TEffects extends EffectDeclarations> = {
  [K in keyof TEffects]: (params: ParamsOf<TEffects[K]>, context: EffectContext) => unknown;
};

/** How the host retries an effect that throws. */
export interface EffectRetryPolicy {
  /** Attempts in all, the first included (default 5). */
  attempts: number;
  /** Wait before the second attempt; it doubles for each later one (default 100 ms). */
  firstDelayMs: number;
  /** The longest wait between two attempts (default 5 000 ms). */
  maxDelayMs: number;
}

export const DEFAULT_EFFECT_RETRY: EffectRetryPolicy = { attempts: 5, firstDelayMs: 100, maxDelayMs: 5_000 };

/** The wait before attempt `attempt + 1`. */
export function retryDelayMs(policy: EffectRetryPolicy, attempt: number): number {
  return Math.min(policy.maxDelayMs, policy.firstDelayMs * 2 ** (attempt - 1));
}

/**
 * An error that says retrying cannot help (a refused request, not a passing condition): the host
 * gives the effect up at once. Errors with `retryable: false` are taken the same way.
 */
export function isPermanent(error: unknown): boolean {
  return (error as { retryable?: unknown } | null)?.retryable === false;
}
