import {
  DescribeInstancesCommand,
  EC2Client,
  RunInstancesCommand,
  RunInstancesCommandInput,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { Readable } from 'node:stream';
import { filter, firstValueFrom, Observable, ReplaySubject, timeout, toArray } from 'rxjs';
import { ec2Error, Ec2Simulator } from '../../../test/fixtures/aws-ec2-simulator';
import { ManualClock } from '../../clock/manual-clock';
import { describeComputeContract } from '../../compute/compute.contract';
import { InstanceLaunchError, InstanceNotFoundError } from '../../compute/compute.errors';
import { Compute, ComputeEvent, InstanceExited } from '../../ports/compute.port';
import { Ec2Compute, Ec2ComputeOptions } from './ec2-compute';
import { ComputeBackendError, Ec2LaunchError, InstanceCapReachedError } from './ec2-errors';
import { clientToken } from './ec2-launch';

const FLEET = 'fleet-a';
const PROJECT = 'elastic-image-recognition';
const POLL_MS = 15_000;

function newClient(): EC2Client {
  return new EC2Client({
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
}

describeComputeContract('Ec2Compute on a simulated EC2', {
  create: () => {
    const client = newClient();
    new Ec2Simulator(client);
    return new Ec2Compute({ client, fleetId: FLEET, launchTemplate: { name: 'worker' }, pollIntervalMs: 20 });
  },
  dispose: (compute) => (compute as Ec2Compute).close(),
  timeoutMs: 5_000,
});

describe('Ec2Compute', () => {
  let clock: ManualClock;
  let ec2: Ec2Simulator;
  let compute: Ec2Compute;
  let events: ReplaySubject<ComputeEvent>;
  const created: Ec2Compute[] = [];

  function create(options: Partial<Ec2ComputeOptions> = {}): Ec2Compute {
    const client = newClient();
    ec2 = new Ec2Simulator(client, { now: () => clock.now() });
    compute = new Ec2Compute({
      client,
      fleetId: FLEET,
      launchTemplate: { name: 'eir-worker', version: '3' },
      clock,
      pollIntervalMs: POLL_MS,
      ...options,
    });
    created.push(compute);
    events = new ReplaySubject<ComputeEvent>();
    compute.events$.subscribe(events);
    return compute;
  }

  const runRequests = (): RunInstancesCommandInput[] =>
    ec2.stub.commandCalls(RunInstancesCommand).map((call) => call.args[0].input);
  const userDataOf = (request: RunInstancesCommandInput): string =>
    Buffer.from(request.UserData ?? '', 'base64').toString('utf8');
  /** The worker environment file that the user-data script writes, decoded. */
  const envFileOf = (request: RunInstancesCommandInput): string =>
    Buffer.from(/<<'WORKER_ENV'\n(.*)\nWORKER_ENV/.exec(userDataOf(request))![1], 'base64').toString('utf8');
  const exitOf = (instanceId: string): Promise<InstanceExited> =>
    firstValueFrom(
      events.pipe(
        filter((event) => event.instanceId === instanceId),
        timeout({ first: 5_000 }),
      ),
    );

  /** Fires the poll timer and waits until the poll it started has finished and re-armed the timer. */
  async function pollOnce(): Promise<void> {
    await waitFor(() => clock.pendingTimers === 1);
    clock.advance(POLL_MS);
    await waitFor(() => clock.pendingTimers === 1);
  }

  beforeEach(() => {
    clock = new ManualClock();
  });

  afterEach(async () => {
    await Promise.all(created.splice(0).map((each) => each.close()));
  });

  describe('launch', () => {
    it('runs one instance from the launch template, tagged, with an idempotency token derived from the worker id', async () => {
      create();

      const { instanceId } = await compute.launch({ workerId: 'w-1' });

      const [request] = runRequests();
      expect(request).toMatchObject({
        MinCount: 1,
        MaxCount: 1,
        LaunchTemplate: { LaunchTemplateName: 'eir-worker', Version: '3' },
        ClientToken: clientToken(FLEET, 'w-1'),
        InstanceInitiatedShutdownBehavior: 'terminate',
      });
      // The template's own metadata options apply (the policy requires IMDSv2 of them too).
      expect(request.MetadataOptions).toBeUndefined();
      expect(request.ClientToken).toMatch(/^[0-9a-f]{64}$/);
      const expectedTags = [
        { Key: 'project', Value: PROJECT },
        { Key: 'role', Value: 'worker' },
        { Key: 'fleet', Value: FLEET },
        { Key: 'worker-id', Value: 'w-1' },
        { Key: 'Name', Value: `${PROJECT}-worker-w-1` },
      ];
      expect(request.TagSpecifications).toEqual([
        { ResourceType: 'instance', Tags: expectedTags },
        { ResourceType: 'volume', Tags: expectedTags },
      ]);
      expect(instanceId).toBe(ec2.get(instanceId).instanceId);
    });

    it('launching the same worker id twice returns the same instance; another worker id gets another token', async () => {
      create();

      const first = await compute.launch({ workerId: 'w-1' });
      const again = await compute.launch({ workerId: 'w-1' });
      const other = await compute.launch({ workerId: 'w-2' });

      expect(again.instanceId).toBe(first.instanceId);
      expect(other.instanceId).not.toBe(first.instanceId);
      expect(new Set(runRequests().map((request) => request.ClientToken)).size).toBe(2);
      expect(ec2.instances.size).toBe(2);
    });

    it('passes user-data that writes WORKER_ID, the request env and INSTANCE_ID, then starts the worker unit', async () => {
      create({ boot: { serviceName: 'worker.service', envFile: '/etc/worker/env' } });

      await compute.launch({
        workerId: 'w-7',
        env: { GREETING: 'say "hi" $HOME `x` \\', WORKER_ID: 'spoof' },
      });

      const userData = userDataOf(runRequests()[0]);
      expect(userData.startsWith('#!/bin/bash\n')).toBe(true);
      expect(envFileOf(runRequests()[0])).toBe(
        'GREETING="say \\"hi\\" \\$HOME \\`x\\` \\\\"\nWORKER_ID="w-7"\n',
      );
      expect(userData).toContain("base64 -d > '/etc/worker/env.new'");
      expect(userData).toContain('latest/meta-data/instance-id');
      expect(userData).toContain(`echo "INSTANCE_ID=$instance_id" >> '/etc/worker/env.new'`);
      expect(userData).toContain("mv '/etc/worker/env.new' '/etc/worker/env'");
      expect(userData.trimEnd().split('\n').pop()).toBe("systemctl start 'worker.service'");
    });

    it('launches with explicit AMI, type, subnet, security groups, instance profile and IMDSv2 required when there is no template', async () => {
      create({
        launchTemplate: undefined,
        instance: {
          imageId: 'ami-123',
          instanceType: 't3.micro',
          subnetId: 'subnet-1',
          securityGroupIds: ['sg-1'],
          instanceProfile: { name: 'eir-worker' },
        },
      });

      await compute.launch({ workerId: 'w-1' });

      const [request] = runRequests();
      expect(request).toMatchObject({
        ImageId: 'ami-123',
        InstanceType: 't3.micro',
        SubnetId: 'subnet-1',
        SecurityGroupIds: ['sg-1'],
        IamInstanceProfile: { Name: 'eir-worker' },
        MetadataOptions: { HttpTokens: 'required', HttpEndpoint: 'enabled' },
      });
      expect(request.LaunchTemplate).toBeUndefined();
    });

    it('refuses an environment variable name or value that the env file cannot carry, launching nothing', async () => {
      create();

      await expect(compute.launch({ workerId: 'w-1', env: { 'BAD-NAME': 'x' } })).rejects.toBeInstanceOf(
        InstanceLaunchError,
      );
      await expect(compute.launch({ workerId: 'w-1', env: { OK: 'two\nlines' } })).rejects.toBeInstanceOf(
        InstanceLaunchError,
      );
      expect(runRequests()).toEqual([]);
    });

    it('reports InsufficientInstanceCapacity as a retryable InstanceLaunchError', async () => {
      create();
      ec2.failNext('RunInstances', ec2Error('InsufficientInstanceCapacity', 'server'));

      const error = await compute.launch({ workerId: 'w-1' }).catch((reason: unknown) => reason);

      expect(error).toBeInstanceOf(InstanceLaunchError);
      expect(error).toMatchObject({
        code: 'instance_launch_failed',
        workerId: 'w-1',
        ec2Code: 'InsufficientInstanceCapacity',
        retryable: true,
      });
    });

    it('reports throttling that outlasted the SDK’s retries as a retryable launch error, and a bad request as not', async () => {
      create();
      ec2.failNext('RunInstances', ec2Error('RequestLimitExceeded'));
      ec2.failNext('RunInstances', ec2Error('InvalidAMIID.NotFound'));

      const throttled = await compute.launch({ workerId: 'w-1' }).catch((reason: unknown) => reason);
      const refused = await compute.launch({ workerId: 'w-2' }).catch((reason: unknown) => reason);

      expect(throttled).toBeInstanceOf(Ec2LaunchError);
      expect(throttled).toMatchObject({ ec2Code: 'RequestLimitExceeded', retryable: true });
      expect(refused).toMatchObject({ ec2Code: 'InvalidAMIID.NotFound', retryable: false });
    });
  });

  describe('the instance cap', () => {
    it('refuses a launch when the account already has the cap of live instances, counting other fleets', async () => {
      create({ instanceCap: 3 });
      ec2.add('running', { project: 'other-project' });
      ec2.add('shutting-down', { fleet: 'fleet-b' });
      ec2.add('terminated', { fleet: FLEET });
      await compute.launch({ workerId: 'w-1' });

      const error = await compute.launch({ workerId: 'w-2' }).catch((reason: unknown) => reason);

      expect(error).toBeInstanceOf(InstanceCapReachedError);
      expect(error).toBeInstanceOf(InstanceLaunchError);
      expect(error).toMatchObject({ cap: 3, counted: 3, workerId: 'w-2' });
      expect(runRequests()).toHaveLength(1);
    });

    it('defaults to 20 instances', async () => {
      create();
      for (let i = 0; i < 20; i++) ec2.add('running', { project: 'elsewhere' });

      await expect(compute.launch({ workerId: 'w-1' })).rejects.toMatchObject({ cap: 20, counted: 20 });
    });

    it('lets only one of two concurrent launches take the last place, even before EC2 lists the first', async () => {
      create({ instanceCap: 2 });
      ec2.add('running', { project: 'elsewhere' });
      // EC2 is eventually consistent: here it never lists the instances this adapter launches.
      ec2.stub
        .on(DescribeInstancesCommand)
        .resolves({ Reservations: [{ Instances: [{ InstanceId: 'i-0', State: { Name: 'running' } }] }] });

      const results = await Promise.allSettled([
        compute.launch({ workerId: 'w-1' }),
        compute.launch({ workerId: 'w-2' }),
      ]);

      expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected']);
      expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(InstanceCapReachedError);
      expect(runRequests()).toHaveLength(1);
    });
  });

  describe('terminate', () => {
    it('terminates the instance and reports an expected exit once EC2 shows it terminated', async () => {
      create();
      const { instanceId } = await compute.launch({ workerId: 'w-1' });
      const exited = exitOf(instanceId);

      await compute.terminate(instanceId, { graceMs: 5_000 });

      expect(ec2.stub.commandCalls(TerminateInstancesCommand).map((call) => call.args[0].input)).toEqual([
        { InstanceIds: [instanceId] },
      ]);
      expect(await compute.list()).toMatchObject([{ instanceId, state: 'terminating' }]);
      await pollOnce();
      expect(await exited).toEqual({
        kind: 'exited',
        instanceId,
        workerId: 'w-1',
        code: null,
        signal: null,
        expected: true,
      });
      expect(await compute.list()).toEqual([]);
    });

    it('treats InvalidInstanceID.NotFound for an instance EC2 has shown as already gone', async () => {
      create();
      const { instanceId } = await compute.launch({ workerId: 'w-1' });
      await compute.list();
      ec2.failNext('TerminateInstances', ec2Error('InvalidInstanceID.NotFound'));
      const exited = exitOf(instanceId);

      await expect(compute.terminate(instanceId)).resolves.toBeUndefined();

      expect(await exited).toMatchObject({ instanceId, expected: true });
      await expect(compute.terminate(instanceId)).resolves.toBeUndefined();
    });

    it('does not take InvalidInstanceID.NotFound for gone right after a launch, when EC2 may not know it yet', async () => {
      create();
      const { instanceId } = await compute.launch({ workerId: 'w-1' });
      ec2.failNext('TerminateInstances', ec2Error('InvalidInstanceID.NotFound'));

      const error = await compute.terminate(instanceId).catch((reason: unknown) => reason);

      expect(error).toBeInstanceOf(ComputeBackendError);
      expect(error).toMatchObject({ ec2Code: 'InvalidInstanceID.NotFound' });
      await expect(compute.terminate(instanceId)).resolves.toBeUndefined();
      expect(ec2.get(instanceId).state).toBe('shutting-down');
    });

    it('terminates an instance of its fleet that an earlier control plane launched', async () => {
      create();
      const earlier = ec2.add('running', { project: PROJECT, fleet: FLEET, 'worker-id': 'w-old' });
      const exited = exitOf(earlier.instanceId);

      await compute.terminate(earlier.instanceId);
      expect(earlier.state).toBe('shutting-down');
      ec2.settle();
      await pollOnce();

      expect(await exited).toMatchObject({ workerId: 'w-old', expected: true });
    });

    it('refuses, with InstanceNotFoundError, an instance of another fleet and ids EC2 does not know', async () => {
      create();
      const foreign = ec2.add('running', { project: PROJECT, fleet: 'fleet-b', 'worker-id': 'w-b' });

      for (const id of [foreign.instanceId, 'i-0000000000000dead', 'never-launched']) {
        await expect(compute.terminate(id)).rejects.toBeInstanceOf(InstanceNotFoundError);
      }
      expect(ec2.stub.commandCalls(TerminateInstancesCommand)).toEqual([]);
      expect(foreign.state).toBe('running');
    });
  });

  describe('polling for exits', () => {
    it('reports an instance that terminated by itself as an unexpected exit, after one poll interval', async () => {
      create();
      const { instanceId } = await compute.launch({ workerId: 'w-1' });
      await pollOnce();
      ec2.get(instanceId).state = 'terminated';
      const exited = exitOf(instanceId);

      await pollOnce();

      expect(await exited).toMatchObject({ instanceId, workerId: 'w-1', expected: false });
    });

    it('adopts the fleet’s live instances and reports their exits too', async () => {
      create();
      const earlier = ec2.add('running', { project: PROJECT, fleet: FLEET, 'worker-id': 'w-old' });
      ec2.add('running', { project: PROJECT, fleet: 'fleet-b', 'worker-id': 'w-b' });

      expect(await compute.list()).toEqual([
        { instanceId: earlier.instanceId, workerId: 'w-old', state: 'running', launchedAt: clock.now() },
      ]);
      earlier.state = 'stopped';
      const exited = exitOf(earlier.instanceId);
      await pollOnce();
      expect(await exited).toMatchObject({ workerId: 'w-old', expected: false });
    });

    it('waits launchVisibilityMs before reporting a launch that EC2 never lists as gone', async () => {
      create({ launchVisibilityMs: 40_000 });
      const { instanceId } = await compute.launch({ workerId: 'w-1' });
      ec2.instances.delete(instanceId);
      const seen = collect(events);

      await pollOnce();
      await pollOnce();
      const beforeDeadline = [...seen];
      await pollOnce();

      expect(beforeDeadline).toEqual([]);
      expect(seen).toEqual([expect.objectContaining({ instanceId, expected: false })]);
    });

    it('keeps polling after a failed poll', async () => {
      create();
      const { instanceId } = await compute.launch({ workerId: 'w-1' });
      await pollOnce();
      ec2.failNext('DescribeInstances', ec2Error('RequestLimitExceeded'));
      await pollOnce();
      ec2.get(instanceId).state = 'terminated';
      const exited = exitOf(instanceId);

      await pollOnce();

      expect(await exited).toMatchObject({ instanceId });
    });

    it('close stops the poll timer and completes events$, leaving instances running', async () => {
      create();
      const { instanceId } = await compute.launch({ workerId: 'w-1' });
      const all = firstValueFrom(compute.events$.pipe(toArray()));

      await compute.close();

      expect(clock.pendingTimers).toBe(0);
      expect(await all).toEqual([]);
      expect(ec2.get(instanceId).state).not.toBe('shutting-down');
      await expect(compute.launch({ workerId: 'w-2' })).rejects.toBeInstanceOf(InstanceLaunchError);
    });
  });

  it('serves as the Compute token type', () => {
    expect(create()).toBeInstanceOf(Compute);
  });

  it('refuses options without a template or an AMI and instance type', () => {
    expect(() => new Ec2Compute({ client: newClient(), fleetId: FLEET, clock })).toThrow(RangeError);
  });
});

describe('Ec2Compute with the SDK’s own retries', () => {
  const EC2_XMLNS = 'http://ec2.amazonaws.com/doc/2016-11-15/';
  const answers: Record<string, string> = {
    DescribeInstances: `<DescribeInstancesResponse xmlns="${EC2_XMLNS}"><reservationSet/></DescribeInstancesResponse>`,
    RunInstances: `<RunInstancesResponse xmlns="${EC2_XMLNS}"><instancesSet><item><instanceId>i-0123456789abcdef0</instanceId></item></instancesSet></RunInstancesResponse>`,
  };
  const throttled =
    '<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message></Error></Errors></Response>';

  it('launches after EC2 throttled RunInstances once: the client’s standard retry absorbs RequestLimitExceeded', async () => {
    const actions: string[] = [];
    // Real serialization, retry middleware and parsing; only the HTTP exchange is answered here.
    const client = new EC2Client({
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      requestHandler: {
        handle: async (request: { body?: unknown }) => {
          const action = /Action=(\w+)/.exec(String(request.body))?.[1] ?? 'unknown';
          actions.push(action);
          const throttle =
            action === 'RunInstances' && actions.filter((each) => each === action).length === 1;
          const body = throttle ? throttled : answers[action];
          return {
            response: {
              statusCode: throttle ? 503 : 200,
              headers: { 'content-type': 'text/xml' },
              body: Readable.from([Buffer.from(body)]),
            },
          };
        },
      },
    });
    const compute = new Ec2Compute({
      client,
      fleetId: FLEET,
      launchTemplate: { name: 'worker' },
      clock: new ManualClock(),
    });

    const launched = await compute.launch({ workerId: 'w-1' });

    expect(launched).toEqual({ instanceId: 'i-0123456789abcdef0' });
    expect(actions).toEqual(['DescribeInstances', 'RunInstances', 'RunInstances']);
    await compute.close();
  });
});

/** Records what an observable emits, synchronously readable. */
function collect<T>(source: Observable<T>): T[] {
  const seen: T[] = [];
  source.subscribe((value) => seen.push(value));
  return seen;
}

async function waitFor(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}
