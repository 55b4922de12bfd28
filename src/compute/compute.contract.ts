// Imported only by *.spec.ts files; the reference keeps the production build (no jest types) compiling.
import { randomUUID } from 'node:crypto';
import { filter, firstValueFrom, timeout } from 'rxjs';
import { Compute, InstanceExited } from '../ports/compute.port';
import { InstanceNotFoundError } from './compute.errors';

/** How {@link describeComputeContract} gets an adapter for each test. */
export interface ComputeContractOptions {
  /**
   * Returns the adapter one test runs against; called before each test. Its workers must keep
   * running until terminated, and stop within the grace period when asked.
   */
  create: () => Compute | Promise<Compute>;
  /** Releases the adapter after the test, ending whatever it still runs. Default: nothing. */
  dispose?: (compute: Compute) => void | Promise<void>;
  /** Longest wait for an instance to start or exit. Default: 10 000 ms. */
  timeoutMs?: number;
  /** Grace passed to `terminate`. Default: 2 000 ms. */
  graceMs?: number;
}

/**
 * Registers the behaviour every {@link Compute} backend must show, as one jest `describe`:
 * provider-neutral, so it checks ids, states and exit events, not exit codes.
 */
export function describeComputeContract(name: string, options: ComputeContractOptions): void {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const graceMs = options.graceMs ?? 2_000;

  describe(`Compute contract: ${name}`, () => {
    let compute: Compute;
    const workerId = (): string => `contract-${randomUUID().slice(0, 8)}`;

    /** Subscribes now (events are hot) to the exit of `instanceId`. */
    function exitOf(instanceId: string): Promise<InstanceExited> {
      return firstValueFrom(
        compute.events$.pipe(
          filter((event) => event.kind === 'exited' && event.instanceId === instanceId),
          timeout({ first: timeoutMs }),
        ),
      );
    }

    beforeEach(async () => {
      compute = await options.create();
    });

    afterEach(async () => {
      await options.dispose?.(compute);
    });

    it('launch returns a distinct id per instance, and list shows each with its worker id', async () => {
      const before = Date.now();
      const [first, second] = [workerId(), workerId()];
      const launched = await Promise.all([
        compute.launch({ workerId: first }),
        compute.launch({ workerId: second }),
      ]);
      expect(launched[0].instanceId).not.toBe(launched[1].instanceId);
      const listed = await compute.list();
      for (const [i, each] of [first, second].entries()) {
        const info = listed.find((instance) => instance.instanceId === launched[i].instanceId);
        expect(info).toMatchObject({ workerId: each, state: expect.stringMatching(/^(pending|running)$/) });
        expect(info?.launchedAt).toBeGreaterThanOrEqual(before - 5_000);
      }
    });

    it('terminate leads to an expected exit event, after which list no longer shows the instance', async () => {
      const id = workerId();
      const { instanceId } = await compute.launch({ workerId: id });
      const exited = exitOf(instanceId);
      await compute.terminate(instanceId, { graceMs });
      expect(await exited).toMatchObject({ kind: 'exited', instanceId, workerId: id, expected: true });
      expect((await compute.list()).map((instance) => instance.instanceId)).not.toContain(instanceId);
    });

    it('terminate is idempotent: a second call while stopping and one after the exit succeed', async () => {
      const { instanceId } = await compute.launch({ workerId: workerId() });
      const exited = exitOf(instanceId);
      await Promise.all([
        compute.terminate(instanceId, { graceMs }),
        compute.terminate(instanceId, { graceMs }),
      ]);
      expect(await exited).toMatchObject({ instanceId, expected: true });
      await expect(compute.terminate(instanceId, { graceMs })).resolves.toBeUndefined();
    });

    it('terminate of an id it never launched rejects with InstanceNotFoundError (404)', async () => {
      const error = await compute.terminate('never-launched').catch((reason: unknown) => reason);
      expect(error).toBeInstanceOf(InstanceNotFoundError);
      expect(error).toMatchObject({
        code: 'instance_not_found',
        httpStatus: 404,
        instanceId: 'never-launched',
      });
    });
  });
}
