import { and, createMachine, not, or, setup } from 'xstate';
import { controllerMachine } from '../../state-machines/controller.machine';
import { jobMachine } from '../../state-machines/job.machine';
import { workerMachine } from '../../state-machines/worker.machine';
import { activeStateIds, describeMachine, stateIdsOf, withAncestors } from './statechart';
import { mermaidId, toMermaid } from './statechart-mermaid';

const tiny = (extra: Record<string, object> = {}) =>
  createMachine({
    id: 'tiny',
    initial: 'off',
    states: { off: { on: { FLIP: 'on' } }, on: { on: { FLIP: 'off' } }, ...extra },
  });

describe('statechart generation from the real machines', () => {
  it.each([
    ['job', jobMachine, ['uploaded', 'queued', 'classified', 'reported', 'rejected', 'failed']],
    ['worker', workerMachine, ['pending', 'running', 'idle', 'terminating', 'lost', 'terminated']],
    ['controller', controllerMachine, ['steady', 'scalingOut', 'scalingIn', 'cooldown']],
  ])('the %s chart declares every state of the machine, and nothing else', (_name, machine, expected) => {
    const chart = describeMachine(machine);
    expect(stateIdsOf(chart).sort()).toEqual([...expected].sort());
    const mermaid = toMermaid(chart);
    expect(mermaid.startsWith('stateDiagram-v2\n')).toBe(true);
    for (const state of expected) expect(mermaid).toContain(`state "${state}" as s_${state}\n`);
    expect(mermaid.match(/^\s*state "/gm)).toHaveLength(expected.length);
  });

  it.each([
    ['job', jobMachine],
    ['worker', workerMachine],
    ['controller', controllerMachine],
  ])('the %s chart names every event the machine accepts', (_name, machine) => {
    const mermaid = toMermaid(describeMachine(machine));
    for (const event of machine.events) expect(mermaid).toContain(event);
  });

  it('draws the job machine: initial arrow, labelled transitions, guards, final states', () => {
    const mermaid = toMermaid(describeMachine(jobMachine));
    expect(mermaid).toContain('[*] --> s_uploaded\n');
    expect(mermaid).toContain('s_uploaded --> s_queued : JobQueued\n');
    expect(mermaid).toContain(
      's_queued --> s_failed : JobAttemptFailed [attemptsExhausted]<br/>JobDeadLettered<br/>JobReleased [releasesExhausted]<br/>JobDeadlinePassed [enqueuesExhausted]\n',
    );
    for (const final of ['reported', 'rejected', 'failed']) expect(mermaid).toContain(`s_${final} --> [*]\n`);
    expect(mermaid).not.toContain('s_queued --> [*]');
    // Events taken without leaving the state are listed in its box, not drawn as arrows.
    expect(mermaid).toContain('s_queued : ↻ JobAttemptStarted\n');
    expect(mermaid).not.toMatch(/s_queued --> s_queued/);
  });

  it("names combined guards and lists the controller's any-state transition in a note", () => {
    expect(toMermaid(describeMachine(workerMachine))).toContain(
      's_running : ↻ WorkerJobsFinished [isFresh and holdsOnlyThem]\n',
    );
    const controller = describeMachine(controllerMachine);
    expect(controller.anyState).toEqual([{ source: '', event: 'ControllerConfigured' }]);
    expect(toMermaid(controller)).toMatch(
      /note right of s_steady\n\s+In every state:\n\s+ControllerConfigured\n/,
    );
  });
});

describe('statechart generation follows the machine definition', () => {
  it('adding a state to a machine adds it to the picture', () => {
    const before = toMermaid(describeMachine(tiny()));
    const after = toMermaid(describeMachine(tiny({ broken: { type: 'final' } })));
    expect(after).not.toEqual(before);
    expect(before).not.toContain('broken');
    expect(after).toContain('state "broken" as s_broken\n');
    expect(after).toContain('s_broken --> [*]\n');
  });

  it('adding a transition adds an arrow', () => {
    const withBreak = createMachine({
      id: 'tiny',
      initial: 'off',
      states: { off: { on: { FLIP: 'on' } }, on: { on: { FLIP: 'off', BREAK: 'off' } } },
    });
    expect(toMermaid(describeMachine(tiny()))).toContain('s_on --> s_off : FLIP\n');
    expect(toMermaid(describeMachine(withBreak))).toContain('s_on --> s_off : FLIP<br/>BREAK\n');
  });

  it('labels delayed and eventless transitions, and not/or guards', () => {
    const machine = setup({ guards: { a: () => true, b: () => true, c: () => true } }).createMachine({
      id: 'timed',
      initial: 'wait',
      states: {
        wait: { after: { 1500: 'check' } },
        check: {
          always: [
            { guard: or(['a', and(['b', 'c'])]), target: 'done' },
            { guard: not('a'), target: 'wait' },
          ],
        },
        done: { type: 'final' },
      },
    });
    const mermaid = toMermaid(describeMachine(machine));
    expect(mermaid).toContain('s_wait --> s_check : after 1500 ms\n');
    expect(mermaid).toContain('s_check --> s_done : always [a or (b and c)]\n');
    expect(mermaid).toContain('s_check --> s_wait : always [not a]\n');
  });

  it('draws nested states inside their parent, with the parent’s initial child', () => {
    const machine = createMachine({
      id: 'nested',
      initial: 'outer',
      states: {
        outer: {
          initial: 'a',
          states: { a: { on: { NEXT: 'b' } }, b: {} },
          on: { LEAVE: 'gone' },
        },
        gone: { type: 'final' },
      },
    });
    const chart = describeMachine(machine);
    expect(stateIdsOf(chart)).toEqual(['outer', 'outer.a', 'outer.b', 'gone']);
    expect(toMermaid(chart)).toBe(
      [
        'stateDiagram-v2',
        '  state "outer" as s_outer {',
        '    state "a" as s_outer__a',
        '    state "b" as s_outer__b',
        '    [*] --> s_outer__a',
        '    s_outer__a --> s_outer__b : NEXT',
        '  }',
        '  state "gone" as s_gone',
        '  [*] --> s_outer',
        '  s_outer --> s_gone : LEAVE',
        '  s_gone --> [*]',
        '  classDef visited fill:#dbeafe,stroke:#2563eb,stroke-width:2px,color:#1d2330',
        '  classDef current fill:#fde68a,stroke:#b45309,stroke-width:3px,color:#1d2330',
        '',
      ].join('\n'),
    );
  });
});

describe('statechart overlays', () => {
  it('shows the count of actors under every state, 0 where none', () => {
    const mermaid = toMermaid(describeMachine(jobMachine), { counts: { queued: 3, reported: 12 } });
    expect(mermaid).toContain('s_queued : × 3\n');
    expect(mermaid).toContain('s_reported : × 12\n');
    expect(mermaid).toContain('s_uploaded : × 0\n');
    expect(toMermaid(describeMachine(jobMachine))).not.toContain('×');
  });

  it('marks visited and current states with classes, current winning, unknown ids dropped', () => {
    const mermaid = toMermaid(describeMachine(jobMachine), {
      visited: ['uploaded', 'queued', 'classified', 'nowhere'],
      current: ['classified'],
    });
    expect(mermaid).toContain('  class s_uploaded,s_queued visited\n');
    expect(mermaid).toContain('  class s_classified current\n');
    expect(mermaid).not.toContain('nowhere');
  });

  it('gives every state a mermaid id no keyword can collide with', () => {
    expect(mermaidId('end')).toBe('s_end');
    expect(mermaidId('outer.inner-most')).toBe('s_outer__inner_most');
  });
});

describe('state values as chart ids', () => {
  it('flattens a snapshot value to its active leaves', () => {
    expect(activeStateIds('queued')).toEqual(['queued']);
    expect(activeStateIds({ outer: 'a' })).toEqual(['outer.a']);
    expect(activeStateIds({ p: { x: 'on', y: 'off' } })).toEqual(['p.x.on', 'p.y.off']);
  });

  it('adds the ancestors of each active leaf once', () => {
    expect(withAncestors(['p.x.on', 'p.y.off'])).toEqual(['p', 'p.x', 'p.x.on', 'p.y', 'p.y.off']);
  });
});
