/** A seeded PRNG (mulberry32): the same seed gives the same run, draw for draw. Uniform on [0, 1). */
export type Random = () => number;

export function seededRandom(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A standard normal draw (Box–Muller). */
export function normal(random: Random): number {
  const u = 1 - random(); // (0, 1]: log(0) is never taken
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

/** A normal distribution of durations, clamped to [min, max] ms so that no draw is absurd. */
export interface DurationDistribution {
  meanMs: number;
  sdMs: number;
  minMs: number;
  maxMs: number;
}

/** Draws one duration from `d`, rounded to the millisecond. */
export function drawDuration(random: Random, d: DurationDistribution): number {
  return Math.round(Math.min(d.maxMs, Math.max(d.minMs, d.meanMs + d.sdMs * normal(random))));
}

/** An exponential draw with the given rate per ms (the gap between Poisson arrivals). */
export function exponential(random: Random, ratePerMs: number): number {
  return -Math.log(1 - random()) / ratePerMs;
}
