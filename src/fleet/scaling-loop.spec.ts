import { AWS_SCALING, decideScaling, ScalingInputs } from '../../state-machines/scaling-policy';
import { ActorHost } from '../actors/actor-host.service';
import { ACTOR_KINDS, CONTROLLER_STREAM } from '../actors/actor-kinds';
import { InMemoryEventStore } from '../adapters/memory/in-memory-event-store';
import { ManualClock } from '../clock/manual-clock';
import { Upcaster } from '../events/upcaster';
import { EventStore } from '../ports/event-store.port';
import { ScalingLoop } from './scaling-loop';

const clock = new ManualClock();
// No minimum: an empty fleet holds, and the controller's effects are never asked for.
const settings = { ...AWS_SCALING, minWorkers: 0 };
const idle: ScalingInputs = {
  visible: 0,
  inFlight: 0,
  workers: { pending: 0, running: 0, idle: 0, terminating: 0 },
  idleWorkers: [],
  pendingWorkers: [],
};

/** A control plane's loop over `store`: its host booted (the log replayed) and configured. */
async function boot(store: EventStore): Promise<{ host: ActorHost; loop: ScalingLoop }> {
  const host = new ActorHost(store, clock, new Upcaster());
  for (const kind of ACTOR_KINDS) {
    const unexpected = () => {
      throw new Error(`no ${kind.name} effect was expected`);
    };
    host.handle(
      kind,
      Object.fromEntries(Object.keys(kind.effects).map((effect) => [effect, unexpected])) as Parameters<
        ActorHost['handle']
      >[1],
    );
  }
  await host.onModuleInit();
  host.onApplicationBootstrap();
  const loop = new ScalingLoop(host, clock, async () => idle, decideScaling, settings);
  await loop.configure(10_000);
  return { host, loop };
}

describe('ScalingLoop across a restart', () => {
  it('starts from the service time the last decision logged, not the default', async () => {
    const store = new InMemoryEventStore(clock);
    const first = await boot(store);
    expect(first.loop.measuredServiceTimeMs).toBeUndefined();
    await first.host.dispatch(CONTROLLER_STREAM, {
      type: 'ScalingDecided',
      decision: decideScaling({ ...idle, serviceTimeMs: 400 }, settings),
    });

    const { loop } = await boot(store);
    expect(loop.measuredServiceTimeMs).toBe(400);
    expect((await loop.observe()).serviceTimeMs).toBe(400);
  });

  it('knows none when no decision logged a measured one', async () => {
    const store = new InMemoryEventStore(clock);
    const first = await boot(store);
    await first.host.dispatch(CONTROLLER_STREAM, {
      type: 'ScalingDecided',
      decision: decideScaling(idle, settings),
    });
    expect((await boot(store)).loop.measuredServiceTimeMs).toBeUndefined();
  });
});
