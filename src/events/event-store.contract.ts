import { firstValueFrom, take, toArray } from 'rxjs';
import { ManualClock } from '../clock/manual-clock';
import { EventStore, NewEvent, StreamVersionConflictError } from '../ports/event-store.port';

/** What a contract run needs: a fresh, empty store on the given clock, and how to dispose of it. */
export interface EventStoreFixture {
  create(clock: ManualClock): Promise<EventStore>;
  dispose?(store: EventStore): Promise<void>;
}

const uploaded = (n: number): NewEvent => ({ type: 'JobUploaded', data: { n } });

/**
 * The behaviour every {@link EventStore} adapter must show. Written once, run against each adapter.
 */
export function describeEventStoreContract(adapterName: string, fixture: EventStoreFixture): void {
  describe(`EventStore contract: ${adapterName}`, () => {
    let clock: ManualClock;
    let store: EventStore;

    beforeEach(async () => {
      clock = new ManualClock(Date.UTC(2026, 10, 28, 12));
      store = await fixture.create(clock);
    });
    afterEach(async () => {
      await (fixture.dispose ? fixture.dispose(store) : store.close());
    });

    it('appends to a new stream and reads it back with versions, positions, timestamps and payloads', async () => {
      const result = await store.append(
        'job-a',
        [uploaded(1), { type: 'JobQueued', data: { m: 'x' }, schemaVersion: 2 }],
        'no_stream',
      );

      expect(result).toMatchObject({ nextVersion: 2, lastPosition: 2 });
      expect(result.events).toEqual(await store.readStream('job-a'));
      expect(await store.readStream('job-a')).toEqual([
        {
          type: 'JobUploaded',
          streamId: 'job-a',
          version: 1,
          position: 1,
          recordedAt: clock.now(),
          schemaVersion: 1,
          data: { n: 1 },
        },
        {
          type: 'JobQueued',
          streamId: 'job-a',
          version: 2,
          position: 2,
          recordedAt: clock.now(),
          schemaVersion: 2,
          data: { m: 'x' },
        },
      ]);
    });

    it('reads a stream from a given version, and an unknown stream as empty', async () => {
      await store.append('job-a', [uploaded(1), uploaded(2), uploaded(3)], 0);

      expect((await store.readStream('job-a', 2)).map((e) => e.version)).toEqual([2, 3]);
      expect(await store.readStream('job-missing')).toEqual([]);
    });

    it('refuses an append whose expected version is stale with a typed conflict, writing nothing', async () => {
      await store.append('job-a', [uploaded(1)], 0);

      const stale = store.append('job-a', [uploaded(2)], 0);
      await expect(stale).rejects.toBeInstanceOf(StreamVersionConflictError);
      await expect(stale).rejects.toMatchObject({
        streamId: 'job-a',
        expected: 0,
        actual: 1,
        httpStatus: 409,
      });
      await expect(store.append('job-a', [uploaded(2)], 'no_stream')).rejects.toBeInstanceOf(
        StreamVersionConflictError,
      );
      expect(await store.readStream('job-a')).toHaveLength(1);
    });

    it("accepts 'any' as the expected version and continues the stream's numbering", async () => {
      await store.append('job-a', [uploaded(1)], 0);
      const result = await store.append('job-a', [uploaded(2)], 'any');

      expect(result.nextVersion).toBe(2);
    });

    it('gives every event a strictly increasing global position across streams', async () => {
      await store.append('job-a', [uploaded(1)], 0);
      await store.append('worker-1', [uploaded(2), uploaded(3)], 0);
      await store.append('job-a', [uploaded(4)], 1);

      const all = await store.readAll();
      expect(all.map((e) => [e.streamId, e.version, e.position])).toEqual([
        ['job-a', 1, 1],
        ['worker-1', 1, 2],
        ['worker-1', 2, 3],
        ['job-a', 2, 4],
      ]);
      expect(await store.lastPosition()).toBe(4);
    });

    it('pages through the whole log with after and limit', async () => {
      for (let i = 0; i < 7; i++) await store.append(`job-${i}`, [uploaded(i)], 0);

      const first = await store.readAll({ limit: 3 });
      const second = await store.readAll({ after: first.at(-1)!.position, limit: 3 });
      const rest = await store.readAll({ after: second.at(-1)!.position });
      expect([...first, ...second, ...rest].map((e) => e.data.n)).toEqual([0, 1, 2, 3, 4, 5, 6]);
      expect(await store.readAll({ after: 7 })).toEqual([]);
    });

    it('stamps each event with the time of the clock at append', async () => {
      await store.append('job-a', [uploaded(1)], 0);
      clock.advance(1500);
      await store.append('job-a', [uploaded(2)], 1);

      const [first, second] = await store.readStream('job-a');
      expect(second.recordedAt - first.recordedAt).toBe(1500);
    });

    it('does not let a caller change stored events by mutating what it appended or read', async () => {
      const event = uploaded(1);
      await store.append('job-a', [event], 0);
      (event.data as { n: number }).n = 99;
      const [read] = await store.readStream('job-a');
      (read.data as { n: number }).n = 42;

      expect((await store.readStream('job-a'))[0].data).toEqual({ n: 1 });
    });

    it('publishes appended events to live subscribers in global order', async () => {
      const received = firstValueFrom(store.subscribe().pipe(take(3), toArray()));
      await store.append('job-a', [uploaded(1)], 0);
      await store.append('job-b', [uploaded(2), uploaded(3)], 0);

      expect((await received).map((e) => e.position)).toEqual([1, 2, 3]);
    });

    it('catches a subscriber up from a position, then continues live without gaps or duplicates', async () => {
      await store.append('job-a', [uploaded(1), uploaded(2), uploaded(3)], 0);
      const received = firstValueFrom(store.subscribe(1).pipe(take(4), toArray()));
      await store.append('job-a', [uploaded(4)], 3);
      await store.append('job-b', [uploaded(5)], 0);

      expect((await received).map((e) => e.data.n)).toEqual([2, 3, 4, 5]);
    });

    it('takes concurrent appends in the order made; a conflicting one fails alone', async () => {
      await store.append('job-a', [uploaded(1)], 0);
      const results = await Promise.allSettled([
        store.append('job-a', [uploaded(2)], 1),
        store.append('job-a', [uploaded(3)], 1),
        store.append('job-b', [uploaded(4)], 0),
        store.append('job-a', [uploaded(5)], 2),
      ]);

      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
      expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(StreamVersionConflictError);
      expect((await store.readStream('job-a')).map((e) => e.data.n)).toEqual([1, 2, 5]);
      expect((await store.readAll()).map((e) => e.data.n)).toEqual([1, 2, 4, 5]);
    });

    it('does not publish events of a refused append', async () => {
      await store.append('job-a', [uploaded(1)], 0);
      const received = firstValueFrom(store.subscribe().pipe(take(1)));
      await expect(store.append('job-a', [uploaded(2)], 0)).rejects.toThrow(StreamVersionConflictError);
      await store.append('job-b', [uploaded(3)], 0);

      expect((await received).data).toEqual({ n: 3 });
    });
  });
}
