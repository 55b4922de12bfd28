import { AnyActorScope, AnyEventObject, AnyStateMachine, createEmptyActor, SnapshotFrom } from 'xstate';

/** An effect a machine asks for: a named action with its params, for the host to execute. */
export interface Effect {
  type: string;
  params: Record<string, unknown>;
}

/**
 * A built-in xstate action that the fold cannot honour: a delayed or sent event (`after:`,
 * `raise` with a delay, `sendTo`), a spawned or stopped child, `log`, `emit`. Replay would drop
 * it silently; machines use timer effects (`startTimer`) instead.
 */
export class UnsupportedActionError extends Error {
  constructor(readonly actionType: string) {
    super(`The machines' fold cannot run the built-in action ${actionType}; use a timer effect instead`);
    this.name = 'UnsupportedActionError';
  }
}

/**
 * The named effects among the actions xstate handed to the executor.
 * @throws UnsupportedActionError for one of xstate's own built-ins, which no host executes.
 */
export function effectsOf(actions: ReadonlyArray<{ type: string; params?: unknown }>): Effect[] {
  return actions.map((action) => {
    if (action.type.startsWith('xstate.')) throw new UnsupportedActionError(action.type);
    return { type: action.type, params: (action.params ?? {}) as Record<string, unknown> };
  });
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
    const self = createEmptyActor();
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

/** One stored event, as the fold takes it: its type, and its payload (the input, for the first). */
export interface FoldableEvent {
  type: string;
  data: object;
}

/**
 * Folds one event into an actor: the creating event (no snapshot yet) starts the machine with the
 * payload as input, any later one steps it. The one fold of the host, `/debug` replay and the
 * machine tests.
 */
export function foldEvent<TMachine extends AnyStateMachine>(
  machine: TMachine,
  snapshot: SnapshotFrom<TMachine> | undefined,
  event: FoldableEvent,
): Step<TMachine> {
  return snapshot === undefined
    ? start(machine, event.data)
    : step(machine, snapshot, { ...event.data, type: event.type });
}

/** Folds a whole stream, from its creating event: one step per event. */
export function foldEvents<TMachine extends AnyStateMachine>(
  machine: TMachine,
  events: readonly FoldableEvent[],
): Step<TMachine>[] {
  const steps: Step<TMachine>[] = [];
  for (const event of events) steps.push(foldEvent(machine, steps.at(-1)?.snapshot, event));
  return steps;
}
