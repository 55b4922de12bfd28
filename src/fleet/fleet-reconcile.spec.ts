import { EC2Client } from '@aws-sdk/client-ec2';
import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { Test, TestingModule } from '@nestjs/testing';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ec2Simulator } from '../../test/fixtures/aws-ec2-simulator';
import { eventLogModule } from '../../test/support/event-log-module';
import { EffectCall, recordUnhandledEffects } from '../../test/support/scripted-effects';
import { ActorHost } from '../actors/actor-host.service';
import { WORKER } from '../actors/actor-kinds';
import { ActorsModule } from '../actors/actors.module';
import { Ec2Compute } from '../adapters/aws/ec2-compute';
import { openLocalQueues } from '../adapters/local/local-adapters';
import { ManualClock } from '../clock/manual-clock';
import { testConfig } from '../config/app-config';
import { ConfigModule } from '../config/config.module';
import { EventsModule } from '../events/events.module';
import { REQUEST_QUEUE } from '../pipeline/queue-tokens';
import { Clock } from '../ports/clock.port';
import { Compute } from '../ports/compute.port';
import { FleetInstances } from './fleet-instances';
import { FleetService } from './fleet.service';

const FLEET = 'fleet-a';
const PROJECT = 'elastic-image-recognition';

/** Effects of other features (jobs; launches when no fleet service runs) are only recorded. */
@Injectable()
class OtherEffectsRecorded implements OnModuleInit {
  readonly calls: EffectCall[] = [];
  constructor(private readonly host: ActorHost) {}
  onModuleInit(): void {
    recordUnhandledEffects(this.host, this.calls);
  }
}

/** The log, the host and the fleet service over `compute`, as a control plane boots them. */
async function boot(dataDir: string, clock: ManualClock, compute?: Compute): Promise<TestingModule> {
  const moduleRef = await Test.createTestingModule({
    imports: [
      ConfigModule.forRoot(testConfig({ port: 0, dataDir })),
      EventsModule,
      eventLogModule(dataDir),
      ActorsModule,
    ],
    providers: [
      ...(compute
        ? [
            FleetService,
            FleetInstances,
            { provide: Compute, useValue: compute },
            { provide: REQUEST_QUEUE, useFactory: () => openLocalQueues(dataDir, 3, clock).requests },
          ]
        : []),
      OtherEffectsRecorded,
    ],
  })
    .overrideProvider(Clock)
    .useValue(clock)
    .compile();
  moduleRef.useLogger(false);
  return moduleRef.init();
}

describe('FleetService reconciling the log with EC2 after a restart', () => {
  let dataDir: string;
  const clock = new ManualClock(1_700_000_000_000);
  const client = new EC2Client({
    region: 'us-east-1',
    credentials: { accessKeyId: 'a', secretAccessKey: 's' },
  });
  const ec2 = new Ec2Simulator(client, { now: () => clock.now() });

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'fleet-reconcile-'));
    jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
  });
  afterAll(() => {
    ec2.stub.restore();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps workers whose instance still runs, marks the others lost, and leaves unclaimed instances alone', async () => {
    const tags = (workerId: string) => ({
      project: PROJECT,
      role: 'worker',
      fleet: FLEET,
      'worker-id': workerId,
    });
    const stillRunning = ec2.add('running', tags('w-alive'));
    const gone = ec2.add('terminated', tags('w-gone'));
    const stranger = ec2.add('running', tags('w-stranger'));

    // What the previous control plane recorded: two workers, started on their instances.
    const before = await boot(dataDir, clock);
    const host = before.get(ActorHost);
    for (const [workerId, instanceId] of [
      ['w-alive', stillRunning.instanceId],
      ['w-gone', gone.instanceId],
    ]) {
      await host.dispatch(WORKER.streamId(workerId), {
        type: 'WorkerLaunchRequested',
        workerId,
        reason: 'test',
        heartbeatTimeoutMs: 600_000,
      });
      await host.dispatch(WORKER.streamId(workerId), { type: 'WorkerStarted', instanceId, seq: 1 });
    }
    await before.close();

    const compute = new Ec2Compute({
      client,
      fleetId: FLEET,
      project: PROJECT,
      instance: { imageId: 'ami-1', instanceType: 't3.micro' },
      clock,
    });
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const after = await boot(dataDir, clock, compute);
    const state = (workerId: string) => after.get(ActorHost).get(WORKER.streamId(workerId))?.snapshot.value;

    expect(state('w-alive')).toBe('running');
    expect(state('w-gone')).toBe('lost');
    expect(after.get(ActorHost).get(WORKER.streamId('w-stranger'))).toBeUndefined();
    expect(ec2.get(stranger.instanceId).state).toBe('running');
    expect(warn).toHaveBeenCalledWith(
      expect.objectContaining({
        strangers: [expect.objectContaining({ instanceId: stranger.instanceId, workerId: 'w-stranger' })],
      }),
    );

    // The adopted instance is the worker's: asking the worker to stop terminates that instance.
    await after
      .get(ActorHost)
      .dispatch(WORKER.streamId('w-alive'), { type: 'WorkerTerminationRequested', reason: 'test' });
    await after.get(ActorHost).settle();
    expect(ec2.get(stillRunning.instanceId).state).toBe('shutting-down');
    await after.close();
  });
});
