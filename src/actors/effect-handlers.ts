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
