import { TestingModule } from '@nestjs/testing';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootWithScriptedEffects } from '../../test/support/scripted-effects';
import { waitFor } from '../../test/support/control-plane-process';
import { ActorHost } from '../actors/actor-host.service';
import { WORKER } from '../actors/actor-kinds';
import { testConfig } from '../config/app-config';
import { FleetInstances } from '../fleet/fleet-instances';
import { Queue } from '../ports/queue.port';
import { WorkerReports } from './messages';
import { RESPONSE_QUEUE } from './queue-tokens';
import { WorkerReportsConsumer } from './worker-reports.consumer';

describe('WorkerReportsConsumer: reports only from the fleet’s own instances', () => {
  let dataDir: string;
  let moduleRef: TestingModule;

  beforeEach(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'reports-'));
    moduleRef = await bootWithScriptedEffects({
      config: testConfig({ port: 0, dataDir }),
      providers: [WorkerReportsConsumer, FleetInstances],
    });
  });
  afterEach(async () => {
    await moduleRef.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const started = (instanceId: string, seq: number): string =>
    JSON.stringify({
      v: 1,
      reports: [
        { v: 1, kind: 'workerStarted', workerId: 'w-a', instanceId, modelId: 'm', seq, at: Date.now() },
      ],
    } satisfies WorkerReports);

  it('refuses a worker’s start naming an instance the fleet did not launch for it, and takes the right one', async () => {
    const host = moduleRef.get(ActorHost);
    const responses = moduleRef.get<Queue>(RESPONSE_QUEUE);
    await host.dispatch(WORKER.streamId('w-a'), {
      type: 'WorkerLaunchRequested',
      workerId: 'w-a',
      reason: 'test',
      heartbeatTimeoutMs: 600_000,
      idleTimeoutMs: 600_000,
    });
    moduleRef.get(FleetInstances).set('w-a', 'i-launched');
    const queueEmpty = async () => {
      const { visible, inFlight } = await responses.approximateCounts();
      return visible + inFlight === 0 ? true : undefined;
    };

    await responses.send(started('i-somebody-elses', 1));
    await waitFor('the forged report to be consumed', queueEmpty);
    expect(host.get(WORKER.streamId('w-a'))?.snapshot.value).toBe('pending');

    await responses.send(started('i-launched', 2));
    await waitFor('the worker to be running', async () =>
      host.get(WORKER.streamId('w-a'))?.snapshot.value === 'running' ? true : undefined,
    );
    expect(host.get(WORKER.streamId('w-a'))?.snapshot.context).toMatchObject({ instanceId: 'i-launched' });
  });
});
