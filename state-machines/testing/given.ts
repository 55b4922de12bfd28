import { AnyEventObject, AnyStateMachine, SnapshotFrom } from 'xstate';
import { foldEvent, Step } from '../fold';

/** given(events) / when(event) / then(state, effects) for machine specs. */
export function given<TMachine extends AnyStateMachine>(
  machine: TMachine,
  input: object,
  ...events: AnyEventObject[]
): { snapshot: SnapshotFrom<TMachine>; when(event: AnyEventObject): Step<TMachine> } {
  let snapshot = foldEvent(machine, undefined, { type: 'created', data: input }).snapshot;
  for (const event of events) snapshot = foldEvent(machine, snapshot, asStored(event)).snapshot;
  return { snapshot, when: (event) => foldEvent(machine, snapshot, asStored(event)) };
}

const asStored = ({ type, ...data }: AnyEventObject) => ({ type, data });
