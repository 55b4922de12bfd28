import { InMemoryEventStore } from '../adapters/memory/in-memory-event-store';
import { ActorHost } from '../actors/actor-host.service';
import { CONTROLLER_STREAM } from '../actors/actor-kinds';
import { ManualClock } from '../clock/manual-clock';
import { AutoscalerController } from './autoscaler.controller';
import { AutoscalerService } from './autoscaler.service';

const decided = (action: 'scaleOut' | 'scaleIn' | 'hold', at: number) => ({
  type: 'ScalingDecided',
  data: {
    decision: {
      action,
      desired: 1,
      capacity: 1,
      launch: 1,
      terminate: [],
      reason: `${action} because`,
      inputs: {},
    },
    at,
  },
});

describe('AutoscalerController: the decision log', () => {
  it('shows what became of each scaling action: completed, failed with the reason, or in progress', async () => {
    const clock = new ManualClock();
    const store = new InMemoryEventStore(clock);
    await store.append(
      CONTROLLER_STREAM,
      [
        { type: 'ControllerStarted', data: { settings: {}, at: 0 } },
        decided('scaleOut', 1),
        { type: 'ScalingActionCompleted', data: { launched: ['w1'], terminated: [], at: 2 } },
        decided('hold', 3),
        decided('scaleIn', 4),
        {
          type: 'EffectFailed',
          data: { effect: 'terminateWorkers', reason: 'provider unreachable', attempts: 5, at: 5 },
        },
        decided('scaleOut', 6),
      ],
      'no_stream',
    );
    const controller = new AutoscalerController({} as ActorHost, store, {} as AutoscalerService);
    const { decisions } = await controller.decisions({ limit: '10' });
    expect(decisions.map(({ action, outcome, failure }) => ({ action, outcome, failure }))).toEqual([
      { action: 'scaleOut', outcome: 'in progress', failure: undefined },
      { action: 'scaleIn', outcome: 'failed', failure: 'terminateWorkers: provider unreachable' },
      { action: 'hold', outcome: undefined, failure: undefined },
      { action: 'scaleOut', outcome: 'completed', failure: undefined },
    ]);
  });
});
