import { AnyEventObject, AnyStateMachine, SnapshotFrom } from 'xstate';
import { start, step, Step } from '../fold';

/** given(events) / when(event) / then(state, effects) for machine specs. */
export function given<TMachine extends AnyStateMachine>(
  machine: TMachine,
  input: unknown,
  ...events: AnyEventObject[]
): { snapshot: SnapshotFrom<TMachine>; when(event: AnyEventObject): Step<TMachine> } {
  let snapshot = start(machine, input).snapshot;
  for (const event of events) snapshot = step(machine, snapshot, event).snapshot;
  return { snapshot, when: (event) => step(machine, snapshot, event) };
}
