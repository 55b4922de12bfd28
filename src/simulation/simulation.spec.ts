import { Logger } from '@nestjs/common';
import type { ScalingDecision } from '../../state-machines/scaling-policy';
import type { WorkerContext } from '../../state-machines/worker.machine';
import { WORKER } from '../actors/actor-kinds';
import { AWS_TARGET_TRACKING, ORIGINAL, OURS } from './contenders';
import { simulate } from './simulation';
import { billedTime, countFlaps } from './metrics';
import { burstTrace, DEFAULT_CROWD, flashCrowd } from './traces';

describe('scaling simulation', () => {
  beforeAll(() => Logger.overrideLogger(['error']));

  it('a 1 000-image burst under our policy: every job reported once, no busy worker stopped, fleet back to the minimum', async () => {
    const { metrics, checks, host, store } = await simulate(burstTrace(1_000), OURS);

    expect(checks.jobs).toBe(1_000);
    expect(checks.notReportedOnce).toEqual([]);
    expect(checks.processedTwice).toBe(0);
    expect(checks.redelivered).toBe(0);
    expect(metrics.busyKilled).toBe(0);
    expect(checks.terminatingWhileHolding).toBe(0);
    expect(checks.stopsWhileBusy).toBe(0);
    expect(checks.fleetAtEnd).toBe(OURS.settings.minWorkers);
    // It did scale: out to the maximum, then back in, through the worker machines.
    expect(metrics.peakWorkers).toBe(OURS.settings.maxWorkers);
    const workers = host.list(WORKER).map((w) => ({
      state: w.snapshot.value,
      context: w.snapshot.context as WorkerContext,
    }));
    const ended = workers.filter((w) => w.state === 'terminated');
    expect(ended).toHaveLength(OURS.settings.maxWorkers - OURS.settings.minWorkers);
    const scaleIns = (await store.readStream('controller'))
      .map((e) => e.data.decision as ScalingDecision | undefined)
      .filter((d) => d?.action === 'scaleIn');
    // Each was stopped by a scale-in decision that named it, not found lost.
    for (const { context } of ended) {
      const by = scaleIns.find((d) => d!.terminate.includes(context.workerId));
      expect(by).toBeDefined();
      expect(context.stopReason).toBe(by!.reason);
    }
    expect(workers.filter((w) => w.state !== 'terminated').map((w) => w.state)).toEqual(['idle']);
    expect(workers.every((w) => w.context.jobsInHand.length === 0)).toBe(true);
    // Each job was done once, by some worker.
    expect(workers.reduce((sum, w) => sum + w.context.jobsDone, 0)).toBe(1_000);
  });

  it("stops a burst's workers the moment each runs dry: billed no more than the original's, whose workers stop themselves", async () => {
    const [ours, original] = await Promise.all([
      simulate(burstTrace(1_000), OURS),
      simulate(burstTrace(1_000), ORIGINAL),
    ]);
    expect(ours.metrics.makespanS).toBe(original.metrics.makespanS);
    expect(ours.metrics.billedSeconds).toBeLessThanOrEqual(original.metrics.billedSeconds);
    // Each stop was a logged decision, made as the worker reported the queue empty.
    const workers = (await ours.store.readAll()).filter((e) => e.type === 'WorkerQueueEmpty');
    expect(workers.length).toBeGreaterThanOrEqual(OURS.settings.maxWorkers - OURS.settings.minWorkers);
  });

  it('counts busy kills where they happen: a baseline that kills on scale-in loses no job, but redoes it', async () => {
    const hasty = { ...AWS_TARGET_TRACKING, cooldownMs: 60_000 };
    const { metrics, checks } = await simulate(burstTrace(1_000), hasty);

    expect(metrics.busyKilled).toBeGreaterThan(0);
    expect(checks.redelivered).toBe(metrics.busyKilled);
    expect(checks.notReportedOnce).toEqual([]);
    expect(checks.fleetAtEnd).toBe(1);
  });

  it('models the original: launched workers stop themselves on an empty queue, the always-on one stays', async () => {
    const { metrics, checks, host } = await simulate(burstTrace(10, 'original-10'), ORIGINAL);

    expect(metrics.peakWorkers).toBe(10);
    expect(metrics.scaleEvents).toBe(1 + 9);
    expect(checks.fleetAtEnd).toBe(1);
    const reasons = host
      .list(WORKER)
      .map((w) => (w.snapshot.context as WorkerContext).stopReason)
      .filter(Boolean);
    expect(reasons).toEqual(Array.from({ length: 9 }, () => expect.stringMatching(/stops itself/)));
  });

  it('a flash crowd with slow, failing boots: every job reported once, each launch that never booted replaced', async () => {
    // The crowd's backlog outlasts the time a failed launch is given up after.
    const trace = flashCrowd({ ...DEFAULT_CROWD, totalMs: 20 * 60_000 });
    const { metrics, checks, host } = await simulate(trace, OURS);

    expect(checks.notReportedOnce).toEqual([]);
    expect(checks.processedTwice).toBe(0);
    expect(metrics.busyKilled).toBe(0);
    expect(checks.fleetAtEnd).toBe(OURS.settings.minWorkers);
    // Launches that never boot: each worker is given up 3 expected boots after its launch...
    expect(metrics.bootFailures).toBeGreaterThan(0);
    const workers = host.list(WORKER).map((w) => w.snapshot.context as WorkerContext);
    const notStarted = workers.filter((w) => w.stopReason === 'did not start in time');
    expect(notStarted).toHaveLength(metrics.bootFailures);
    for (const worker of notStarted) {
      expect(worker.startedAt).toBeUndefined();
      expect(worker.endedAt! - worker.launchedAt).toBe(3 * OURS.settings.expectedBootMs);
      // ... and another is launched in its place at the next decision (ours looks every period).
      const next = workers.find((w) => w.launchedAt >= worker.endedAt!);
      expect(next!.launchedAt - worker.endedAt!).toBeLessThanOrEqual(OURS.periodMs!);
    }
  });

  it('bills as EC2 does: per second, at least a minute a launch; a scale-out within a minute of a scale-in is a flap', () => {
    const minute = 60_000;
    expect(billedTime([{ start: 0, end: 10_000 }], 0, 10 * minute)).toBe(minute);
    expect(billedTime([{ start: 0, end: 90_500 }], 0, 10 * minute)).toBe(91_000);
    expect(billedTime([{ start: -5 * minute }], 0, 2 * minute)).toBe(2 * minute);
    expect(countFlaps([10_000], [20_000, 80_000])).toBe(1);
    expect(countFlaps([10_000], [5_000])).toBe(0);
  });

  it('is repeatable: the same trace and seed give the same numbers', async () => {
    const trace = burstTrace(100);
    const first = await simulate(trace, OURS);
    const second = await simulate(trace, OURS);
    expect(second.metrics).toEqual(first.metrics);
    expect((await simulate(trace, OURS, { seed: 2 })).metrics).not.toEqual(first.metrics);
  });
});
