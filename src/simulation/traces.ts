import { drawDuration, DurationDistribution, exponential, Random, seededRandom } from './random';

/** A workload: when each image arrives, and how long one worker takes to classify it. */
export interface Trace {
  name: string;
  description: string;
  /** Arrival of each job, ms after the trace starts, in order. */
  arrivalsMs: number[];
  /** Service time of each job, ms (same index as `arrivalsMs`): every policy gets the same work. */
  serviceMs: number[];
  /** How instances boot in this trace's world, when not as usual (see `SimulationOptions`). */
  boots?: { boot: DurationDistribution; failureRate: number };
}

/** Slow and unreliable boots: 40 s ± 20 s (10–100 s), and one launch in ten never ready. */
export const UNRELIABLE_BOOTS = {
  boot: { meanMs: 40_000, sdMs: 20_000, minMs: 10_000, maxMs: 100_000 },
  failureRate: 0.1,
};

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

/** Options of {@link periodicBursts}. */
export interface BurstSchedule {
  bursts: number;
  /** Images in each burst, all at once. */
  size: number;
  /** From one burst to the next: longer than a boot, so that idle workers could go between them. */
  everyMs: number;
}

export const DEFAULT_BURSTS: BurstSchedule = { bursts: 12, size: 200, everyMs: 10 * 60_000 };

/** `bursts` bursts of `size` images each, `everyMs` apart, and nothing between them. */
export function periodicBursts(
  schedule: BurstSchedule = DEFAULT_BURSTS,
  seed = 11,
  service = SMALL_VM_SERVICE,
): Trace {
  const { bursts, size, everyMs } = schedule;
  const arrivalsMs = Array.from({ length: bursts * size }, (_, i) => Math.floor(i / size) * everyMs);
  return withServiceTimes(
    'periodic-bursts',
    `${bursts} bursts of ${size} images, one every ${everyMs / 60_000} min, quiet between`,
    arrivalsMs,
    seededRandom(seed),
    service,
  );
}

/** Options of {@link flashCrowd}. */
export interface CrowdShape {
  /** The trickle before and after, arrivals per second. */
  trickleRatePerS: number;
  /** The crowd: images arriving over `crowdMs`, after `quietMs` of trickle. */
  crowd: number;
  crowdMs: number;
  quietMs: number;
  /** Length of the whole trace. */
  totalMs: number;
}

export const DEFAULT_CROWD: CrowdShape = {
  trickleRatePerS: 0.05,
  crowd: 3_000,
  crowdMs: 60_000,
  quietMs: 15 * 60_000,
  totalMs: 45 * 60_000,
};

/**
 * A trickle, then a flash crowd (`crowd` images spread evenly over `crowdMs`), then the trickle
 * again, in a world whose boots are slow and unreliable ({@link UNRELIABLE_BOOTS}).
 */
export function flashCrowd(shape: CrowdShape = DEFAULT_CROWD, seed = 13, service = SMALL_VM_SERVICE): Trace {
  const random = seededRandom(seed);
  const trickle: number[] = [];
  for (
    let t = exponential(random, shape.trickleRatePerS / 1000);
    t < shape.totalMs;
    t += exponential(random, shape.trickleRatePerS / 1000)
  )
    trickle.push(Math.round(t));
  const crowd = Array.from(
    { length: shape.crowd },
    (_, i) => shape.quietMs + Math.round((i * shape.crowdMs) / shape.crowd),
  );
  const arrivalsMs = [...trickle, ...crowd].sort((a, b) => a - b);
  return {
    ...withServiceTimes(
      'flash-crowd',
      `${shape.crowd} images in ${shape.crowdMs / 1000} s after ${shape.quietMs / 60_000} min of a ${shape.trickleRatePerS}/s trickle; boots 40 s ± 20 s, 10 % never ready`,
      arrivalsMs,
      random,
      service,
    ),
    boots: UNRELIABLE_BOOTS,
  };
}

/** The bench's traces: the original's two tests, a 10 000-image burst, a day, periodic bursts, a flash crowd. */
export function benchTraces(day: DayShape = DEFAULT_DAY): Trace[] {
  return [
    burstTrace(10, 'original-10'),
    burstTrace(100, 'original-100'),
    burstTrace(10_000),
    dayTrace(day),
    periodicBursts(),
    flashCrowd(),
  ];
}
