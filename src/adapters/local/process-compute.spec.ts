import { getPriority } from 'node:os';
import { join } from 'node:path';
import { Test } from '@nestjs/testing';
import { filter, firstValueFrom, lastValueFrom, ReplaySubject, timeout, toArray } from 'rxjs';
import { describeComputeContract } from '../../compute/compute.contract';
import { InstanceLaunchError } from '../../compute/compute.errors';
import { Compute, InstanceExited } from '../../ports/compute.port';
import { ProcessCompute, ProcessComputeOptions, WorkerOutputLine } from './process-compute';

const WAIT_MS = 10_000;
const fixture = (name: string): string => join(__dirname, '../../../test/fixtures', name);

/** A ProcessCompute running one fixture, with every output line and event recorded for waiting on. */
function harness(script: string, options: ProcessComputeOptions = {}) {
  const lines = new ReplaySubject<WorkerOutputLine>();
  const events = new ReplaySubject<InstanceExited>();
  const compute = new ProcessCompute({
    args: [fixture(script)],
    onOutput: (line) => lines.next(line),
    ...options,
  });
  const exits: InstanceExited[] = [];
  compute.events$.subscribe(events);
  compute.events$.subscribe((event) => exits.push(event));
  const lineFrom = (instanceId: string, pattern: RegExp) =>
    firstValueFrom(
      lines.pipe(
        filter((l) => l.instanceId === instanceId && pattern.test(l.line)),
        timeout({ first: WAIT_MS }),
      ),
    );
  const exitOf = (instanceId: string) =>
    firstValueFrom(
      events.pipe(
        filter((e) => e.instanceId === instanceId),
        timeout({ first: WAIT_MS }),
      ),
    );
  return { compute, lines, exits, lineFrom, exitOf };
}

describeComputeContract('ProcessCompute', {
  create: () =>
    new ProcessCompute({ args: [fixture('compute-graceful-child.js')], onOutput: () => undefined }),
  dispose: (compute) => (compute as ProcessCompute).shutdown(1_000),
});

describe('ProcessCompute with child processes', () => {
  let running: ProcessCompute[] = [];
  const track = <T extends { compute: ProcessCompute }>(h: T): T => {
    running.push(h.compute);
    return h;
  };

  afterEach(async () => {
    await Promise.all(running.map((compute) => compute.shutdown(0)));
    running = [];
  });

  it('passes WORKER_ID, INSTANCE_ID and the request env to the child', async () => {
    const { compute, lineFrom } = track(harness('compute-graceful-child.js'));
    const { instanceId } = await compute.launch({
      workerId: 'w-7',
      env: { GREETING: 'hi', WORKER_ID: 'spoof' },
    });
    const ready = await lineFrom(instanceId, /^ready /);
    expect(ready.line).toBe(`ready WORKER_ID=w-7 INSTANCE_ID=${instanceId} GREETING=hi`);
  });

  it('starts a child `niceness` steps below this process’s CPU priority', async () => {
    const { compute, lineFrom } = track(harness('compute-graceful-child.js', { niceness: 3 }));
    const { instanceId } = await compute.launch({ workerId: 'w-nice' });
    const pid = Number((await lineFrom(instanceId, /^pid /)).line.split(' ')[1]);
    expect(getPriority(pid)).toBe(Math.min(19, getPriority() + 3));
  });

  it('delivers whole stdout and stderr lines to onOutput, tagged with the instance', async () => {
    const { compute, lineFrom } = track(harness('compute-graceful-child.js'));
    const { instanceId } = await compute.launch({ workerId: 'w-out' });
    expect(await lineFrom(instanceId, /^partial/)).toEqual({
      instanceId,
      workerId: 'w-out',
      stream: 'stdout',
      line: 'partial line',
    });
    expect(await lineFrom(instanceId, /^stderr says/)).toMatchObject({
      stream: 'stderr',
      line: 'stderr says hello from w-out',
    });
  });

  it('a child that exits on SIGTERM is reported with code 0 and expected: true', async () => {
    const { compute, lineFrom, exitOf } = track(harness('compute-graceful-child.js'));
    const { instanceId } = await compute.launch({ workerId: 'w-clean' });
    await lineFrom(instanceId, /^ready/); // its SIGTERM handler is installed by now
    await compute.terminate(instanceId, { graceMs: WAIT_MS });
    expect(await exitOf(instanceId)).toEqual({
      kind: 'exited',
      instanceId,
      workerId: 'w-clean',
      code: 0,
      signal: null,
      expected: true,
    });
    await lineFrom(instanceId, /^stopping on SIGTERM$/);
    expect(await compute.list()).toEqual([]);
  });

  it('a child that ignores SIGTERM is SIGKILLed once the grace period ends', async () => {
    const graceMs = 400;
    const { compute, lineFrom, exitOf } = track(harness('compute-stubborn-child.js'));
    const { instanceId } = await compute.launch({ workerId: 'w-stubborn' });
    await lineFrom(instanceId, /^ready$/);
    const askedAt = Date.now();
    const terminating = compute.terminate(instanceId, { graceMs });
    expect(await compute.list()).toEqual([expect.objectContaining({ instanceId, state: 'terminating' })]);
    await lineFrom(instanceId, /^ignoring SIGTERM$/);
    await terminating;
    expect(Date.now() - askedAt).toBeGreaterThanOrEqual(graceMs - 5);
    expect(await exitOf(instanceId)).toMatchObject({ code: null, signal: 'SIGKILL', expected: true });
  });

  it('a child that crashes by itself is reported with its exit code and expected: false', async () => {
    const { compute, lines, exitOf } = track(harness('compute-crashing-child.js'));
    const { instanceId } = await compute.launch({ workerId: 'w-crash', env: { CRASH_CODE: '7' } });
    expect(await exitOf(instanceId)).toEqual({
      kind: 'exited',
      instanceId,
      workerId: 'w-crash',
      code: 7,
      signal: null,
      expected: false,
    });
    lines.complete();
    // Its last words arrive before its exit is reported.
    expect((await lastValueFrom(lines.pipe(toArray()))).map((l) => l.line)).toEqual([
      'fatal: something went wrong',
    ]);
    expect(await compute.list()).toEqual([]);
    await expect(compute.terminate(instanceId)).resolves.toBeUndefined();
  });

  it('a command that cannot start rejects launch with InstanceLaunchError and lists nothing', async () => {
    const { compute, exits } = track(harness('unused.js', { command: '/nonexistent/worker-binary' }));
    const error = await compute.launch({ workerId: 'w-missing' }).catch((reason: unknown) => reason);
    expect(error).toBeInstanceOf(InstanceLaunchError);
    expect(error).toMatchObject({ code: 'instance_launch_failed', httpStatus: 503, workerId: 'w-missing' });
    expect(await compute.list()).toEqual([]);
    expect(exits).toEqual([]);
  });

  it('shutdown terminates every instance, completes events$, and refuses later launches', async () => {
    const { compute, lineFrom } = harness('compute-stubborn-child.js');
    const allEvents = lastValueFrom(compute.events$.pipe(toArray()));
    const launched = await Promise.all(['a', 'b'].map((workerId) => compute.launch({ workerId })));
    await Promise.all(launched.map(({ instanceId }) => lineFrom(instanceId, /^ready$/)));
    await compute.shutdown(200);
    const exits = await allEvents; // resolves only because events$ completed
    expect(exits.map((e) => e.instanceId).sort()).toEqual(launched.map((l) => l.instanceId).sort());
    expect(exits.every((e) => e.expected && e.signal === 'SIGKILL')).toBe(true);
    expect(await compute.list()).toEqual([]);
    await expect(compute.launch({ workerId: 'late' })).rejects.toBeInstanceOf(InstanceLaunchError);
  });

  it('is injectable as the Compute token, and app.close() terminates its workers', async () => {
    const { compute, exitOf } = harness('compute-graceful-child.js');
    const app = await Test.createTestingModule({
      providers: [{ provide: Compute, useFactory: () => compute }],
    }).compile();
    await app.init();
    const { instanceId } = await app.get(Compute).launch({ workerId: 'w-nest' });
    await app.close();
    expect(await exitOf(instanceId)).toMatchObject({ instanceId, expected: true });
  });
});
