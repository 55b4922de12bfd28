import type { AnyMachineSnapshot } from 'xstate';
import { foldEvent, Step } from '../../state-machines/fold';
import type { EventData } from '../ports/event-store.port';
import { ActorExistsError, UnknownActorError } from './actor-host.errors';
import type { ActorKind } from './actor-kinds';

/** What a caller dispatches: an event type and its payload; `at` defaults to the clock's now. */
export type Command = { type: string; at?: number } & Record<string, unknown>;

/** An event a machine took, to be appended: the command's place in its turn, and the step it made. */
export interface DecidedEvent {
  index: number;
  type: string;
  data: EventData & { at: number };
  next: Step<never>;
}

/** What one turn's commands came to, before anything is appended. */
export interface Decisions {
  /** The events to append, in order. */
  decided: DecidedEvent[];
  /** The commands refused, by place: addressed to an actor that does not exist, or creating one that does. */
  refused: Map<number, Error>;
  /** The commands the machine ignored, by place, with how many decided events came before each. */
  ignored: Map<number, number>;
}

/**
 * Offers each command in turn to the machine of `kind`, each to the state the ones before it
 * made, starting from `snapshot` (undefined: no actor yet, so only the creation event is taken).
 * Pure: `now` stamps the commands that name no time.
 */
export function decideCommands(
  kind: ActorKind,
  streamId: string,
  snapshot: AnyMachineSnapshot | undefined,
  commands: readonly Command[],
  now: () => number,
): Decisions {
  const decisions: Decisions = { decided: [], refused: new Map(), ignored: new Map() };
  let state = snapshot;
  for (const [index, command] of commands.entries()) {
    const { type, ...payload } = command;
    const data = { ...payload, at: command.at ?? now() };
    const isCreation = type === kind.creationEvent;
    if (isCreation && state) decisions.refused.set(index, new ActorExistsError(streamId));
    else if (!isCreation && !state) decisions.refused.set(index, new UnknownActorError(streamId, type));
    else {
      const next = foldEvent(kind.machine, state, { type, data });
      if (state && !next.changed) decisions.ignored.set(index, decisions.decided.length);
      else {
        decisions.decided.push({ index, type, data, next });
        state = next.snapshot;
      }
    }
  }
  return decisions;
}
