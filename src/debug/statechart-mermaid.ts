import { ChartState, ChartTransition, Statechart, stateIdsOf } from './statechart';

/** What to draw over a statechart besides its states and transitions. */
export interface MermaidOptions {
  /** Actors in each state (by state id), shown under the state's name; absent ids show 0. */
  counts?: Record<string, number>;
  /** States a replayed stream has passed through (class `visited`). */
  visited?: string[];
  /** States it is in now (class `current`, drawn over `visited`). */
  current?: string[];
}

// `color` is needed: without it a state's text takes the fill colour and vanishes into the box.
const CLASS_STYLES = {
  visited: 'fill:#dbeafe,stroke:#2563eb,stroke-width:2px,color:#1d2330',
  current: 'fill:#fde68a,stroke:#b45309,stroke-width:3px,color:#1d2330',
};

/**
 * The chart as mermaid `stateDiagram-v2` text: one box per state, one arrow per (source, target)
 * pair labelled with its events and guards, `↻` lines inside a leaf state's box for the events it
 * takes without leaving it (and, with `counts`, a `× n` line), and a note listing the transitions
 * that apply in every state. Pure; same chart and options, same text.
 */
export function toMermaid(chart: Statechart, options: MermaidOptions = {}): string {
  const lines = ['stateDiagram-v2'];
  const byParent = groupEdges(chart.transitions);
  const stays = staysByState(chart.transitions);
  const emitScope = (parent: string, children: ChartState[], initial: string | undefined, depth: number) => {
    const indent = '  '.repeat(depth);
    children.forEach((state, i) => {
      if (i > 0 && parentType(chart, parent) === 'parallel') lines.push(`${indent}--`);
      emitState(state, depth);
    });
    if (initial) lines.push(`${indent}[*] --> ${mermaidId(initial)}`);
    for (const edge of byParent.get(parent) ?? [])
      lines.push(`${indent}${mermaidId(edge.source)} --> ${mermaidId(edge.target)} : ${edge.label}`);
    for (const state of children)
      if (state.type === 'final') lines.push(`${indent}${mermaidId(state.id)} --> [*]`);
  };
  const emitState = (state: ChartState, depth: number) => {
    const indent = '  '.repeat(depth);
    const declaration = `${indent}state "${clean(state.key)}" as ${mermaidId(state.id)}`;
    if (state.children.length === 0) {
      lines.push(declaration);
      if (options.counts) lines.push(`${indent}${mermaidId(state.id)} : × ${options.counts[state.id] ?? 0}`);
      for (const t of stays.get(state.id) ?? [])
        lines.push(`${indent}${mermaidId(state.id)} : ↻ ${transitionLabel(t)}`);
      return;
    }
    lines.push(`${declaration} {`);
    emitScope(state.id, state.children, state.initial, depth + 1);
    lines.push(`${indent}}`);
  };

  emitScope('', chart.states, chart.initial, 1);
  if (chart.anyState.length > 0 && chart.initial) {
    lines.push(`  note right of ${mermaidId(chart.initial)}`);
    lines.push('    In every state:');
    chart.anyState.forEach((t) => lines.push(`    ${transitionLabel(t)}${t.target ? ` → ${t.target}` : ''}`));
    lines.push('  end note');
  }
  for (const [name, style] of Object.entries(CLASS_STYLES)) lines.push(`  classDef ${name} ${style}`);
  // An id the chart lacks would make mermaid draw a stray state.
  const known = new Set(stateIdsOf(chart));
  const current = new Set((options.current ?? []).filter((id) => known.has(id)));
  const visited = (options.visited ?? []).filter((id) => known.has(id) && !current.has(id));
  if (visited.length > 0) lines.push(`  class ${visited.map(mermaidId).join(',')} visited`);
  if (current.size > 0) lines.push(`  class ${[...current].map(mermaidId).join(',')} current`);
  return lines.join('\n') + '\n';
}

/** The mermaid node id of a chart state id; prefixed so no state name collides with a mermaid keyword. */
export function mermaidId(stateId: string): string {
  return `s_${stateId.replace(/\./g, '__').replace(/[^A-Za-z0-9_]/g, '_')}`;
}

interface Edge {
  source: string;
  target: string;
  label: string;
}

/** Events a state takes without leaving it, listed inside its box rather than drawn as loops. */
function staysByState(transitions: ChartTransition[]): Map<string, ChartTransition[]> {
  const stays = new Map<string, ChartTransition[]>();
  for (const t of transitions)
    if (t.target === undefined) stays.set(t.source, [...(stays.get(t.source) ?? []), t]);
  return stays;
}

/** Arrows by the composite state that contains both ends ('' for the machine itself). */
function groupEdges(transitions: ChartTransition[]): Map<string, Edge[]> {
  const edges = new Map<string, Edge>();
  for (const t of transitions) {
    if (t.target === undefined) continue;
    const target = t.target;
    const key = `${t.source}\u0000${target}`;
    const edge = edges.get(key);
    if (edge) edge.label += `<br/>${transitionLabel(t)}`;
    else edges.set(key, { source: t.source, target, label: transitionLabel(t) });
  }
  const byParent = new Map<string, Edge[]>();
  for (const edge of edges.values()) {
    const scope = commonParent(edge.source, edge.target);
    byParent.set(scope, [...(byParent.get(scope) ?? []), edge]);
  }
  return byParent;
}

function commonParent(a: string, b: string): string {
  const left = a.split('.').slice(0, -1);
  const right = b.split('.').slice(0, -1);
  const common: string[] = [];
  for (let i = 0; i < Math.min(left.length, right.length) && left[i] === right[i]; i++) common.push(left[i]);
  return common.join('.');
}

function parentType(chart: Statechart, parentId: string): ChartState['type'] | undefined {
  if (parentId === '') return undefined;
  const find = (states: ChartState[]): ChartState | undefined => {
    for (const state of states) {
      if (state.id === parentId) return state;
      const found = find(state.children);
      if (found) return found;
    }
    return undefined;
  };
  return find(chart.states)?.type;
}

function transitionLabel(t: ChartTransition): string {
  return clean(t.guard ? `${t.event} [${t.guard}]` : t.event);
}

/** Mermaid text may not carry quotes, separators, braces or markup in labels. */
function clean(text: string): string {
  return text.replace(/[";#{}<>:\r\n]/g, ' ').trim();
}
