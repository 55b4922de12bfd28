import { Logger } from '@nestjs/common';
import { errorMessage } from '../common/errors';
import { Clock, TimerHandle } from '../ports/clock.port';

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
 * An error that says retrying cannot help (a refused request, not a passing condition): the
 * effect is given up at once. Errors with `retryable: false` are taken the same way.
 */
export function isPermanent(error: unknown): boolean {
  return (error as { retryable?: unknown } | null)?.retryable === false;
}

/** An effect given up: the last error, after how many attempts. */
export interface GivenUp {
  error: unknown;
  attempts: number;
}

/**
 * Runs effects with retries on the clock (so that the simulator's virtual time drives them too),
 * logging each failed attempt with the effect and its stream.
 */
export class EffectRetries {
  private readonly logger = new Logger('ActorHost');
  private readonly waiting = new Map<TimerHandle, () => void>();

  constructor(
    private readonly clock: Clock,
    private readonly policy: EffectRetryPolicy = DEFAULT_EFFECT_RETRY,
  ) {}

  /**
   * Runs `attempt` until it succeeds (undefined), or gives up (the last error). Between attempts,
   * `wanted()` says whether to go on at all; when it says no, resolves undefined.
   */
  async run(
    attempt: () => unknown,
    what: { effect: string; streamId: string },
    wanted: () => boolean,
  ): Promise<GivenUp | undefined> {
    for (let attempts = 1; ; attempts++) {
      try {
        await attempt();
        return undefined;
      } catch (error) {
        const giveUp = attempts >= this.policy.attempts || isPermanent(error);
        const retryInMs = giveUp ? undefined : retryDelayMs(this.policy, attempts);
        this.logger.warn({
          msg: giveUp ? 'effect failed; given up' : 'effect failed; will retry',
          ...what,
          attempt: attempts,
          retryInMs,
          error: errorMessage(error),
        });
        if (giveUp) return { error, attempts };
        await this.wait(retryInMs!);
        if (!wanted()) return undefined;
      }
    }
  }

  /** Ends every wait between attempts now (the caller's `wanted()` should then say no). */
  stop(): void {
    this.waiting.forEach((wake, handle) => {
      handle.cancel();
      wake();
    });
    this.waiting.clear();
  }

  private wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const handle: TimerHandle = this.clock.setTimer(ms, () => {
        this.waiting.delete(handle);
        resolve();
      });
      this.waiting.set(handle, resolve);
    });
  }
}
