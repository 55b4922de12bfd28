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
import { WorkerReport, WorkerReports } from './messages';
import { RESPONSE_QUEUE } from './queue-tokens';
import { eventsOfReports, WorkerReportsConsumer } from './worker-reports.consumer';

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

describe('eventsOfReports: the events of one report message', () => {
  const from = { v: 1 as const, workerId: 'w-a' };
  const started = (jobId: string, seq: number): WorkerReport => ({
    ...from,
    kind: 'jobStarted',
    jobId,
    attempt: 1,
    receiptHandle: `r-${jobId}`,
    seq,
    at: seq * 10,
  });
  const classified = (jobId: string, seq: number): WorkerReport => ({
    ...from,
    kind: 'jobClassified',
    jobId,
    label: 'tabby',
    top5: [{ label: 'tabby', probability: 0.9 }],
    serviceMs: 5,
    seq,
    at: seq * 10,
  });

  it("makes a batch's starts one worker event, with the last report's time and number, and keeps one event per job", () => {
    const events = eventsOfReports([started('j1', 1), started('j2', 2), started('j3', 3)]);
    expect(events.filter(([streamId]) => streamId === WORKER.streamId('w-a'))).toEqual([
      [
        WORKER.streamId('w-a'),
        {
          type: 'WorkerJobsStarted',
          jobs: ['j1', 'j2', 'j3'].map((jobId) => ({ jobId, receiptHandle: `r-${jobId}` })),
          seq: 3,
          at: 30,
        },
      ],
    ]);
    expect(events.filter(([, command]) => command.type === 'JobAttemptStarted')).toHaveLength(3);
  });

  it('makes finishes in a row one event, whatever each job came to, and keeps other reports apart', () => {
    const rejected: WorkerReport = {
      ...from,
      kind: 'jobRejected',
      jobId: 'j2',
      reason: 'not an image',
      seq: 2,
      at: 20,
    };
    const heartbeat: WorkerReport = { ...from, kind: 'heartbeat', seq: 3, at: 30 };
    const workerEvents = eventsOfReports([classified('j1', 1), rejected, heartbeat, classified('j3', 4)])
      .filter(([streamId]) => streamId === WORKER.streamId('w-a'))
      .map(([, command]) => command);
    expect(workerEvents).toEqual([
      { type: 'WorkerJobsFinished', jobIds: ['j1', 'j2'], seq: 2, at: 20 },
      { type: 'WorkerHeartbeat', seq: 3, at: 30 },
      { type: 'WorkerJobsFinished', jobIds: ['j3'], seq: 4, at: 40 },
    ]);
  });
});
