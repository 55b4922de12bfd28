import type { AnyStateMachine, AnyStateNode, AnyTransitionDefinition, StateValue } from 'xstate';

/** One state of a machine. Its `id` is its path from the root joined with dots (`queued`, `a.b`). */
export interface ChartState {
  id: string;
  /** The state's own key, as written in the machine. */
  key: string;
  type: 'atomic' | 'compound' | 'parallel' | 'final' | 'history';
  children: ChartState[];
  /** Id of the initial child, for compound states. */
  initial?: string;
}

/** One transition. Without a `target` the event is taken without leaving the state (actions only). */
export interface ChartTransition {
  source: string;
  target?: string;
  /** The event type, `after <delay>` for a delayed transition, `always` for an eventless one. */
  event: string;
  /** The guard, e.g. `isFresh and holdsThatJob`; absent when unguarded. */
  guard?: string;
}

/** A machine's states and transitions, read from its definition. */
export interface Statechart {
  machineId: string;
  /** The top-level states, each with its children. */
  states: ChartState[];
  /** Id of the machine's initial state. */
  initial?: string;
  transitions: ChartTransition[];
  /** Transitions declared on the machine itself: they apply in every state. */
  anyState: ChartTransition[];
}

/**
 * Reads the states and transitions of `machine` from its definition (`root.states` and each
 * node's transitions), so a picture drawn from it changes whenever the machine does. Pure.
 */
export function describeMachine(machine: AnyStateMachine): Statechart {
  const root = machine.root;
  const transitions: ChartTransition[] = [];
  const states = Object.values(root.states).map((node) => describeNode(node, transitions));
  return {
    machineId: machine.id,
    states,
    initial: initialOf(root),
    transitions,
    anyState: transitionsOf(root),
  };
}

/** Every state id of the chart, parents before their children. */
export function stateIdsOf(chart: Statechart): string[] {
  const ids: string[] = [];
  const walk = (state: ChartState) => {
    ids.push(state.id);
    state.children.forEach(walk);
  };
  chart.states.forEach(walk);
  return ids;
}

/** The chart ids of the leaf states a snapshot value names: `'queued'` → `['queued']`, `{a: 'b'}` → `['a.b']`. */
export function activeStateIds(value: StateValue): string[] {
  if (typeof value === 'string') return [value];
  return Object.entries(value).flatMap(([key, child]) =>
    child === undefined ? [key] : activeStateIds(child).map((id) => `${key}.${id}`),
  );
}

/** The active leaves and their ancestors: `['a.b']` → `['a', 'a.b']`. */
export function withAncestors(ids: string[]): string[] {
  const all = new Set<string>();
  for (const id of ids) {
    const parts = id.split('.');
    parts.forEach((_, i) => all.add(parts.slice(0, i + 1).join('.')));
  }
  return [...all];
}

function describeNode(node: AnyStateNode, transitions: ChartTransition[]): ChartState {
  transitions.push(...transitionsOf(node));
  const children = Object.values(node.states).map((child) => describeNode(child, transitions));
  return {
    id: idOf(node),
    key: node.key,
    type: node.type,
    children,
    ...(node.type === 'compound' ? { initial: initialOf(node) } : {}),
  };
}

function transitionsOf(node: AnyStateNode): ChartTransition[] {
  const definitions: AnyTransitionDefinition[] = [...node.transitions.values()].flat();
  definitions.push(...(node.always ?? []));
  return definitions.flatMap((definition) => {
    const event = eventLabel(definition.eventType);
    const guard = definition.guard === undefined ? undefined : guardLabel(definition.guard);
    const targets = definition.target?.filter(Boolean) ?? [];
    const base = { source: idOf(node), event, ...(guard ? { guard } : {}) };
    if (targets.length === 0) return [base];
    return targets.map((target) => ({ ...base, target: idOf(target) }));
  });
}

function initialOf(node: AnyStateNode): string | undefined {
  const [target] = node.initial?.target ?? [];
  return target ? idOf(target) : undefined;
}

function idOf(node: AnyStateNode): string {
  return node.path.join('.');
}

function eventLabel(eventType: string | null | undefined): string {
  if (!eventType) return 'always';
  // xstate names delayed transitions `xstate.after.<delay>.<state id>`.
  const delayed = /^xstate\.after\.([^.]+)\./.exec(eventType);
  if (delayed) return /^\d+$/.test(delayed[1]) ? `after ${delayed[1]} ms` : `after ${delayed[1]}`;
  return eventType;
}

/** A readable name for a guard: referenced by name, combined with and/or/not, or inline. */
function guardLabel(guard: unknown): string {
  if (typeof guard === 'string') return guard;
  if (typeof guard === 'function') {
    const combined = (guard as { guards?: unknown[] }).guards;
    if (Array.isArray(combined)) {
      const parts = combined.map((part) => (isAndOr(part) ? `(${guardLabel(part)})` : guardLabel(part)));
      if (guard.name === 'not') return `not ${parts.join(' ')}`;
      return parts.join(` ${guard.name === 'or' ? 'or' : 'and'} `);
    }
    return guard.name || 'guard';
  }
  if (guard && typeof guard === 'object' && typeof (guard as { type?: unknown }).type === 'string')
    return (guard as { type: string }).type;
  return 'guard';
}

function isAndOr(guard: unknown): boolean {
  return typeof guard === 'function' && (guard.name === 'and' || guard.name === 'or');
}
