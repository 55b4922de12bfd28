import { AnyActorScope, AnyEventObject, AnyStateMachine, createActor, SnapshotFrom } from 'xstate';

/** An effect a machine asks for: a named action with its params, for the host to execute. */
export interface Effect {
  type: string;
  params: Record<string, unknown>;
}

/** The named effects among the actions xstate returned (xstate's own built-ins are left out). */
export function effectsOf(actions: ReadonlyArray<{ type: string; params?: unknown }>): Effect[] {
  return actions
    .filter((action) => !action.type.startsWith('xstate.'))
    .map((action) => ({ type: action.type, params: (action.params ?? {}) as Record<string, unknown> }));
}

/** A machine's state after one step, and the effects that step asks for. */
export interface Step<TMachine extends AnyStateMachine> {
  snapshot: SnapshotFrom<TMachine>;
  effects: Effect[];
  /** false when the machine ignored the event (no transition was enabled). */
  changed: boolean;
}

interface CollectingScope {
  scope: AnyActorScope;
  collected: Array<{ type: string; params?: unknown }>;
}

const scopes = new WeakMap<AnyStateMachine, CollectingScope>();

/**
 * An inert actor scope that collects actions instead of executing them — what xstate's pure
 * `initialTransition` / `transition` build, but made once per machine: xstate builds a fresh
 * actor for every call, whose eager start without input throws inside the context factory,
 * and that costs about 250 µs an event, too slow to replay a long log.
 */
function scopeOf(machine: AnyStateMachine): CollectingScope {
  let entry = scopes.get(machine);
  if (!entry) {
    const self = createActor(machine);
    const collected: CollectingScope['collected'] = [];
    const scope = {
      self,
      id: '',
      sessionId: '',
      system: self.system,
      defer: () => {},
      logger: () => {},
      stopChild: () => {},
      emit: () => {},
      actionExecutor: (action: { type: string; params?: unknown }) => void collected.push(action),
    } as unknown as AnyActorScope;
    entry = { scope, collected };
    scopes.set(machine, entry);
  }
  entry.collected.length = 0;
  return entry;
}

/** The initial state built from the creating event's payload. Pure; does not execute actions. */
export function start<TMachine extends AnyStateMachine>(machine: TMachine, input: unknown): Step<TMachine> {
  const { scope, collected } = scopeOf(machine);
  const snapshot = machine.getInitialSnapshot(scope, input) as SnapshotFrom<TMachine>;
  return { snapshot, effects: effectsOf(collected), changed: true };
}

/** The next state for `event`. Pure; does not execute actions. An ignored event leaves the same snapshot. */
export function step<TMachine extends AnyStateMachine>(
  machine: TMachine,
  snapshot: SnapshotFrom<TMachine>,
  event: AnyEventObject,
): Step<TMachine> {
  const { scope, collected } = scopeOf(machine);
  const next = machine.transition(snapshot as never, event, scope) as SnapshotFrom<TMachine>;
  return { snapshot: next, effects: effectsOf(collected), changed: next !== snapshot };
}

/**
 * The effects a machine may ask for: its named actions declared as plain functions in
 * `setup()`. Actions built with xstate's creators (`assign`, `raise`…) are done by the
 * transition itself and are not effects.
 */
export function effectNames(machine: AnyStateMachine): string[] {
  const actions: Record<string, unknown> = machine.implementations.actions;
  return Object.entries(actions)
    .filter(([, action]) => typeof action === 'function' && (action as { type?: unknown }).type === undefined)
    .map(([name]) => name);
}
