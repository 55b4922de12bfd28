import { FleetHistory } from './fleet-history';
import { StateCensus } from './state-census';

describe('FleetHistory', () => {
  it('adds a point each time the backlog or the fleet changes, at the event time', () => {
    const census = new StateCensus();
    const history = new FleetHistory();
    census.record('worker', 'worker-1', ['pending']);
    history.record(10, census);
    census.record('job', 'job-a', ['uploaded']);
    history.record(20, census);
    census.record('job', 'job-a', ['queued']);
    history.record(30, census);
    census.record('job', 'job-a', ['classified']);
    history.record(40, census);
    expect(history.points()).toEqual([
      { at: 10, backlog: 0, fleet: 1 },
      { at: 20, backlog: 1, fleet: 1 },
      { at: 40, backlog: 0, fleet: 1 },
    ]);
  });

  it('keeps the last value of one instant, and only the newest points', () => {
    const census = new StateCensus();
    const history = new FleetHistory(3);
    for (let i = 1; i <= 10; i++) {
      census.record('job', `job-${i}`, ['queued']);
      history.record(i * 100, census);
      census.record('worker', `worker-${i}`, ['running']);
      history.record(i * 100, census);
    }
    expect(history.points()).toEqual([
      { at: 800, backlog: 8, fleet: 8 },
      { at: 900, backlog: 9, fleet: 9 },
      { at: 1000, backlog: 10, fleet: 10 },
    ]);
  });
});
