import { collectDefaultMetrics, Registry } from 'prom-client';

/** Prefix of every metric the service defines itself (Node's process metrics keep their standard names). */
export const METRIC_PREFIX = 'eir_';

/**
 * A registry owned by one app, so that several apps in one process (tests, the simulator) never
 * collide in prom-client's global default registry. Node's default process metrics (CPU, memory,
 * event-loop lag, GC) are collected on it too.
 */
export function createMetricsRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}
