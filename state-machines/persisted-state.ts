import { AnyMachineSnapshot, AnyStateMachine, SnapshotFrom } from 'xstate';

/** A machine's state as plain JSON: what a checkpoint keeps of an actor. */
export interface PersistedState {
  value: AnyMachineSnapshot['value'];
  context: Record<string, unknown>;
  /** Absent when the machine has no history states, as ours have none. */
  historyValue?: AnyMachineSnapshot['historyValue'];
}

/** The parts of `snapshot` that determine its next steps. Pure. */
export function persistState(snapshot: AnyMachineSnapshot): PersistedState {
  const { value, context, historyValue } = snapshot;
  return Object.keys(historyValue ?? {}).length > 0 ? { value, context, historyValue } : { value, context };
}

/**
 * The snapshot `persisted` describes, as `machine` builds it: folding an event into it gives
 * what folding that event into the original snapshot gives. Pure.
 */
export function restoreState<TMachine extends AnyStateMachine>(
  machine: TMachine,
  persisted: PersistedState,
): SnapshotFrom<TMachine> {
  return machine.resolveState({
    value: persisted.value,
    context: persisted.context,
    historyValue: persisted.historyValue,
  }) as SnapshotFrom<TMachine>;
}
