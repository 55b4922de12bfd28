import { burstTrace, dayRatePerS, dayTrace } from './traces';

describe('traces', () => {
  it('gives every policy the same work: a trace is the same for the same seed', () => {
    expect(burstTrace(100)).toEqual(burstTrace(100));
    const { serviceMs } = burstTrace(1000);
    const mean = serviceMs.reduce((a, b) => a + b, 0) / serviceMs.length;
    expect(mean).toBeGreaterThan(950);
    expect(mean).toBeLessThan(1050);
  });

  it('draws a day whose arrivals rise to a mid-day peak and fall back', () => {
    const shape = { hours: 2, baseRatePerS: 0.05, peakRatePerS: 1 };
    const { arrivalsMs } = dayTrace(shape);
    const hour = 3_600_000;
    const within = (from: number, to: number) => arrivalsMs.filter((t) => t >= from && t < to).length;
    expect(arrivalsMs).toEqual([...arrivalsMs].sort((a, b) => a - b));
    expect(dayRatePerS(shape, hour)).toBeCloseTo(1);
    expect(dayRatePerS(shape, 0)).toBeCloseTo(0.05);
    // Expected: about 400 arrivals in the first and in the last half hour, 1 700 in the middle one.
    expect(within(0.75 * hour, 1.25 * hour)).toBeGreaterThan(3 * within(0, 0.5 * hour));
    expect(within(0.75 * hour, 1.25 * hour)).toBeGreaterThan(3 * within(1.5 * hour, 2 * hour));
  });
});
