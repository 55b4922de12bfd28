import { drawDuration, DurationDistribution, exponential, Random, seededRandom } from './random';

/** A workload: when each image arrives, and how long one worker takes to classify it. */
export interface Trace {
  name: string;
  description: string;
  /** Arrival of each job, ms after the trace starts, in order. */
  arrivalsMs: number[];
  /** Service time of each job, ms (same index as `arrivalsMs`): every policy gets the same work. */
  serviceMs: number[];
}

/** The original's small VM: about 1 s per image. */
export const SMALL_VM_SERVICE: DurationDistribution = { meanMs: 1_000, sdMs: 100, minMs: 600, maxMs: 1_600 };

function withServiceTimes(
  name: string,
  description: string,
  arrivalsMs: number[],
  random: Random,
  service: DurationDistribution,
): Trace {
  return { name, description, arrivalsMs, serviceMs: arrivalsMs.map(() => drawDuration(random, service)) };
}

/** `count` images uploaded at once. */
export function burstTrace(
  count: number,
  name = `burst-${count}`,
  seed = 1,
  service = SMALL_VM_SERVICE,
): Trace {
  return withServiceTimes(
    name,
    `${count} images at t = 0`,
    Array.from({ length: count }, () => 0),
    seededRandom(seed),
    service,
  );
}

/** Options of {@link dayTrace}. */
export interface DayShape {
  /** Length of the day, hours of virtual time. */
  hours: number;
  /** Arrivals per second at night (the start and the end of the day). */
  baseRatePerS: number;
  /** Arrivals per second at the peak, mid-day. */
  peakRatePerS: number;
}

export const DEFAULT_DAY: DayShape = { hours: 4, baseRatePerS: 0.02, peakRatePerS: 2.5 };

/** The day's arrival rate at `t` ms: base + (peak − base) · sin²(π t / T), a smooth rise and fall. */
export function dayRatePerS(shape: DayShape, tMs: number): number {
  const T = shape.hours * 3_600_000;
  return shape.baseRatePerS + (shape.peakRatePerS - shape.baseRatePerS) * Math.sin((Math.PI * tMs) / T) ** 2;
}

/**
 * A ramp-up / ramp-down day: Poisson arrivals whose rate rises from the night's base to a peak
 * at mid-day and falls back (see {@link dayRatePerS}); drawn by thinning, seeded.
 */
export function dayTrace(shape: DayShape = DEFAULT_DAY, seed = 7, service = SMALL_VM_SERVICE): Trace {
  const random = seededRandom(seed);
  const end = shape.hours * 3_600_000;
  const maxRatePerMs = Math.max(shape.baseRatePerS, shape.peakRatePerS) / 1000;
  const arrivalsMs: number[] = [];
  for (let t = exponential(random, maxRatePerMs); t < end; t += exponential(random, maxRatePerMs)) {
    if (random() * maxRatePerMs * 1000 < dayRatePerS(shape, t)) arrivalsMs.push(Math.round(t));
  }
  return withServiceTimes(
    'day',
    `${shape.hours} h day, Poisson arrivals at ${shape.baseRatePerS}/s rising to ${shape.peakRatePerS}/s mid-day and back (${arrivalsMs.length} images)`,
    arrivalsMs,
    random,
    service,
  );
}

/** The bench's traces: the original's two tests, a 10 000-image burst, and a day. */
export function benchTraces(day: DayShape = DEFAULT_DAY): Trace[] {
  return [burstTrace(10, 'original-10'), burstTrace(100, 'original-100'), burstTrace(10_000), dayTrace(day)];
}
