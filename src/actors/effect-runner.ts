import { Logger } from '@nestjs/common';
import { Effect } from '../../state-machines/fold';
import { errorMessage } from '../common/errors';
import { StoredEvent } from '../ports/event-store.port';
import type { ActorHost } from './actor-host.service';
import { ActorKind } from './actor-kinds';
import { EffectContext } from './effect-handlers';
import { EffectRetries } from './effect-retries';

/** One effect's handler, whatever its parameters. */
export type AnyEffectHandler = (params: Effect['params'], context: EffectContext) => unknown;

/** The handlers of each actor kind's effects, by kind name and then effect type. */
export type EffectHandlerRegistry = Map<ActorKind['name'], Record<string, AnyEffectHandler>>;

/** What the runner asks of its host about an effect's actor. */
export interface EffectRunnerChecks {
  /** Whether the effects asked for at `event` are still wanted (the actor has not moved on). */
  wanted(streamId: string, event: StoredEvent): boolean;
  /** Whether the host is stopping: effects still to run are dropped. */
  stopped(): boolean;
}

/**
 * Runs the effects the host's machines ask for, in order per step, each with retries
 * ({@link EffectRetries}); when one keeps failing, tells its actor with an `EffectFailed` event.
 * Handlers get the host in their context, to dispatch what their effect led to.
 */
export class EffectRunner {
  private readonly logger = new Logger('ActorHost');
  private readonly running = new Set<Promise<void>>();

  constructor(
    private readonly host: ActorHost,
    private readonly handlers: EffectHandlerRegistry,
    private readonly retries: EffectRetries,
    private readonly checks: EffectRunnerChecks,
  ) {}

  /** Whether an effect is running (retries waiting included). */
  get busy(): boolean {
    return this.running.size > 0;
  }

  /** Resolves once the effects running now have settled. */
  async idle(): Promise<void> {
    await Promise.all([...this.running]);
  }

  /** Runs the effects one step of `streamId`'s actor asked for at `event`. */
  run(streamId: string, kind: ActorKind, event: StoredEvent, effects: Effect[]): void {
    if (effects.length === 0) return;
    const running: Promise<void> = (async () => {
      // All the effects one step asked for run, in order, even once an earlier one has moved the
      // actor on (a lost worker's forced stop, then the release of its jobs); only retries stop.
      for (const effect of effects) {
        if (this.checks.stopped()) return;
        await this.perform(kind, effect, streamId, event);
      }
    })().finally(() => this.running.delete(running));
    this.running.add(running);
  }
  private async perform(
    kind: ActorKind,
    effect: Effect,
    streamId: string,
    event: StoredEvent,
  ): Promise<void> {
    const handler = this.handlers.get(kind.name)?.[effect.type];
    const context: EffectContext = { streamId, event, host: this.host };
    const givenUp = handler
      ? await this.retries.run(
          () => handler(effect.params, context),
          { effect: effect.type, streamId },
          () => this.checks.wanted(streamId, event),
        )
      : { error: new Error(`no handler for effect ${effect.type}`), attempts: 1 };
    if (givenUp) await this.reportFailure(streamId, effect, givenUp.error, givenUp.attempts);
  }

  private async reportFailure(
    streamId: string,
    effect: Effect,
    error: unknown,
    attempts: number,
  ): Promise<void> {
    if (this.checks.stopped()) return;
    try {
      const result = await this.host.dispatch(streamId, {
        type: 'EffectFailed',
        effect: effect.type,
        reason: errorMessage(error),
        attempts,
      });
      if (!result.accepted) {
        this.logger.error({
          msg: 'a failed effect changes nothing in its actor',
          effect: effect.type,
          streamId,
        });
      }
    } catch (failure) {
      this.logger.error({
        msg: 'effect failure not recorded',
        effect: effect.type,
        streamId,
        error: errorMessage(failure),
      });
    }
  }
}
