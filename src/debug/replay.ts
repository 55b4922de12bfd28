import type { AnyMachineSnapshot, AnyStateMachine } from 'xstate';
import { Effect, foldEvent } from '../../state-machines/fold';
import { EventData } from '../ports/event-store.port';
import { StepOutOfRangeError } from './debug.errors';
import { activeStateIds } from './statechart';

/** One stored event of a stream, as the machine sees it: its type and (upcast) payload. */
export interface StreamEvent {
  type: string;
  data: EventData;
}

/** The machine's state after one event of the stream. */
export interface ReplayStep {
  /** 1 for the creating event. */
  index: number;
  type: string;
  /** Chart ids of the active leaf states after this event. */
  states: string[];
  /** false when the machine, as it is now, ignores this stored event. */
  changed: boolean;
  /** The effects the machine asked for at this event; replay never runs them. */
  effects: Effect[];
}

/** A stream replayed up to event `k`. */
export interface Replay {
  k: number;
  /** One step per event, 1 … k. */
  steps: ReplayStep[];
  /** The machine's state after event k. */
  snapshot: AnyMachineSnapshot;
}

/**
 * Replays the first `k` events of a stream through `machine` with the host's own fold: the first
 * event's payload is the machine's input, each later event a transition. Pure; runs no effect.
 * @throws StepOutOfRangeError when `k` is not a whole number from 1 to the number of events.
 */
export function replayTo(machine: AnyStateMachine, events: StreamEvent[], k: number): Replay {
  if (!Number.isInteger(k) || k < 1 || k > events.length) {
    throw new StepOutOfRangeError(
      events.length === 0
        ? 'the stream has no events'
        : `k must be a whole number from 1 to ${events.length}, the stream's events; got ${k}`,
    );
  }
  const steps: ReplayStep[] = [];
  let snapshot: AnyMachineSnapshot | undefined;
  events.slice(0, k).forEach((event, i) => {
    const next = foldEvent(machine, snapshot, event);
    snapshot = next.snapshot;
    steps.push({
      index: i + 1,
      type: event.type,
      states: activeStateIds(snapshot.value),
      changed: next.changed,
      effects: next.effects,
    });
  });
  return { k, steps, snapshot: snapshot! };
}

/** The states a replay passed through, each once, in the order first entered. */
export function pathOf(steps: ReplayStep[]): string[] {
  return [...new Set(steps.flatMap((s) => s.states))];
}
