import { SimulatedClock } from './simulated-clock';
import { SimulatedQueue } from './simulated-queue';

describe('SimulatedQueue', () => {
  it('keeps a received message in flight until it is deleted', () => {
    const queue = new SimulatedQueue(new SimulatedClock(), 30_000);
    queue.send('a');
    queue.send('b');
    expect(queue.counts()).toEqual({ visible: 2, inFlight: 0 });
    expect(queue.receive()).toEqual({ jobId: 'a', receiveCount: 1 });
    expect(queue.counts()).toEqual({ visible: 1, inFlight: 1 });
    queue.delete('a');
    expect(queue.counts()).toEqual({ visible: 1, inFlight: 0 });
    expect(queue.totals()).toEqual({ sent: 2, deleted: 1, redelivered: 0 });
  });

  it('makes a message whose worker died visible again once the visibility timeout runs out', () => {
    const clock = new SimulatedClock();
    const queue = new SimulatedQueue(clock, 30_000);
    const woken: number[] = [];
    queue.onVisible = () => woken.push(clock.now());
    queue.send('a');
    queue.receive();
    queue.abandon('a');
    expect(clock.nextDueAt()).toBe(clock.now() + 30_000);
    clock.advance(29_999);
    expect(queue.counts()).toEqual({ visible: 0, inFlight: 1 });
    clock.advance(1);
    expect(queue.counts()).toEqual({ visible: 1, inFlight: 0 });
    expect(woken).toHaveLength(2);
    expect(queue.receive()).toEqual({ jobId: 'a', receiveCount: 2 });
    expect(queue.totals().redelivered).toBe(1);
  });

  it('refuses to delete a message that is not in flight', () => {
    const queue = new SimulatedQueue(new SimulatedClock(), 30_000);
    queue.send('a');
    expect(() => queue.delete('a')).toThrow(/not in flight/);
  });
});
