import { StateCensus } from './state-census';

describe('StateCensus', () => {
  it('moves an actor from its old state to its new one', () => {
    const census = new StateCensus();
    census.record('job', 'job-a', ['uploaded']);
    census.record('job', 'job-b', ['uploaded']);
    expect(census.counts('job')).toEqual({ uploaded: 2 });
    census.record('job', 'job-a', ['queued']);
    expect(census.counts('job')).toEqual({ uploaded: 1, queued: 1 });
    expect(census.counts('worker')).toEqual({});
  });

  it('says whether a count changed', () => {
    const census = new StateCensus();
    expect(census.record('worker', 'worker-1', ['running'])).toBe(true);
    expect(census.record('worker', 'worker-1', ['running'])).toBe(false);
    expect(census.record('worker', 'worker-1', ['idle'])).toBe(true);
  });

  it('totals several states of one kind', () => {
    const census = new StateCensus();
    census.record('worker', 'worker-1', ['running']);
    census.record('worker', 'worker-2', ['idle']);
    census.record('worker', 'worker-3', ['terminated']);
    expect(census.total('worker', ['running', 'idle', 'pending'])).toBe(2);
  });
});
