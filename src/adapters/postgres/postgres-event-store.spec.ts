import { Client } from 'pg';
import { filter, firstValueFrom, take, toArray } from 'rxjs';
import { waitFor } from '../../../test/support/control-plane-process';
import { startFreezableProxy } from '../../../test/support/freezable-proxy';
import { freshSchema, PostgresServer, startPostgresServer } from '../../../test/support/postgres-server';
import { ManualClock } from '../../clock/manual-clock';
import { describeEventStoreContract } from '../../events/event-store.contract';
import { StreamVersionConflictError } from '../../ports/event-store.port';
import { PostgresEventStore } from './postgres-event-store';
import { MIGRATIONS } from './postgres-migrations';

let server: PostgresServer;
beforeAll(async () => {
  server = await startPostgresServer();
}, 60_000);
afterAll(() => server?.stop());

describeEventStoreContract('postgres', {
  create: (clock) => PostgresEventStore.open({ url: server.url, schema: freshSchema() }, clock),
});

describe('PostgresEventStore', () => {
  const clock = new ManualClock(Date.UTC(2026, 11, 7));
  let schema: string;
  let stores: PostgresEventStore[];
  const open = async () => {
    const store = await PostgresEventStore.open({ url: server.url, schema }, clock);
    stores.push(store);
    return store;
  };
  /** A connection of its own to the same schema, for what a test does behind the store's back. */
  const rawClient = async () => {
    const client = new Client({ connectionString: server.url, options: `-c search_path=${schema}` });
    await client.connect();
    return client;
  };
  beforeEach(() => {
    schema = freshSchema();
    stores = [];
  });
  afterEach(() => Promise.all(stores.map((store) => store.close())));

  it('migrates a new schema once, recording each step, however many control planes open it together', async () => {
    await Promise.all([open(), open(), open()]);
    const client = await rawClient();
    try {
      const { rows } = await client.query(
        'SELECT version, description FROM schema_migrations ORDER BY version',
      );
      expect(rows).toEqual(MIGRATIONS.map(({ version, description }) => ({ version, description })));
    } finally {
      await client.end();
    }
  });

  it('never lets a reader pass an event that commits late: positions are handed out in commit order', async () => {
    const store = await open();
    const client = await rawClient();
    try {
      // Another writer's append, begun first and not yet committed.
      await client.query('BEGIN');
      await client.query(
        `SELECT * FROM append_batch('[{"stream":"job-slow","expected":0,"events":[{"type":"JobUploaded","schemaVersion":1,"data":{}}]}]', 1)`,
      );
      let appended = false;
      const fast = store.append('job-fast', [{ type: 'JobUploaded', data: {} }], 0).then((result) => {
        appended = true;
        return result;
      });
      // While the first is open, the second waits, and a reader sees neither.
      expect(await store.readAll()).toEqual([]);
      expect(await store.lastPosition()).toBe(0);
      expect(appended).toBe(false);
      await client.query('COMMIT');
      expect((await fast).lastPosition).toBe(2);
      expect((await store.readAll()).map((e) => [e.streamId, e.position])).toEqual([
        ['job-slow', 1],
        ['job-fast', 2],
      ]);
    } finally {
      await client.end();
    }
  });

  it("publishes another control plane's appends live, after its own, in global order", async () => {
    const [one, two] = [await open(), await open()];
    const seenByOne = firstValueFrom(one.subscribe().pipe(take(3), toArray()));
    await two.append('job-a', [{ type: 'JobUploaded', data: { n: 1 } }], 0);
    await one.append('job-b', [{ type: 'JobUploaded', data: { n: 2 } }], 0);
    await two.append('job-a', [{ type: 'JobQueued', data: { n: 3 } }], 1);

    expect((await seenByOne).map((e) => [e.position, e.data.n])).toEqual([
      [1, 1],
      [2, 2],
      [3, 3],
    ]);
  });

  it('refuses a stale append from another control plane with the typed conflict', async () => {
    const [one, two] = [await open(), await open()];
    await one.append('job-a', [{ type: 'JobUploaded', data: {} }], 0);
    await expect(two.append('job-a', [{ type: 'JobUploaded', data: {} }], 'no_stream')).rejects.toMatchObject(
      {
        code: 'stream_version_conflict',
        actual: 1,
      },
    );
  });

  it('goes on appending and publishing after the server ended its connections', async () => {
    const [one, two] = [await open(), await open()];
    const seenByOne = firstValueFrom(one.subscribe().pipe(take(2), toArray()));
    await two.append('job-a', [{ type: 'JobUploaded', data: { n: 1 } }], 0);
    const admin = await rawClient();
    try {
      await admin.query(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND datname = current_database()',
      );
    } finally {
      await admin.end();
    }
    // The first append after may still be handed a connection the pool has not yet seen end.
    await waitFor('an append after the connections ended', async () => {
      await two.append('job-b', [{ type: 'JobUploaded', data: { n: 2 } }], 0);
      return true;
    });
    expect((await seenByOne).map((e) => [e.position, e.data.n])).toEqual([
      [1, 1],
      [2, 2],
    ]);
  });

  it('appends, reads and hears other writers again after its connections went silent without ending', async () => {
    const proxy = await startFreezableProxy(server.url);
    try {
      const one = await PostgresEventStore.open(
        { url: proxy.url, schema, listenerHeartbeatMs: 200, queryTimeoutMs: 500 },
        clock,
      );
      stores.push(one);
      const two = await open();
      await one.append('job-a', [{ type: 'JobUploaded', data: { n: 1 } }], 0);
      proxy.freeze();
      // A query on a silent connection fails after its timeout; the next gets a new connection.
      // On a slow machine a try may time out and still commit: the next then finds the stream.
      await waitFor('an append on a new connection', async () => {
        await one
          .append('job-b', [{ type: 'JobUploaded', data: { n: 2 } }], 'no_stream')
          .catch((error: unknown) => {
            if (!(error instanceof StreamVersionConflictError)) throw error;
          });
        return true;
      });
      const heard = firstValueFrom(
        one.subscribe().pipe(
          filter((event) => event.streamId === 'job-c'),
          take(1),
        ),
      );
      await waitFor(
        'a read on a new connection',
        async () => (await one.readStream('job-b')).length === 1 || undefined,
      );
      await two.append('job-c', [{ type: 'JobUploaded', data: { n: 3 } }], 0);
      expect((await heard).data.n).toBe(3);
    } finally {
      await proxy.close();
    }
  });

  it('keeps payloads as written, strings with quotes and backslashes included', async () => {
    const store = await open();
    const data = { name: 'a "quoted" \\ name, {braces}', n: 1.5, nested: { list: [1, 'x'] } };
    await store.append('job-a', [{ type: 'JobUploaded', data }], 0);
    expect((await store.readStream('job-a'))[0].data).toEqual(data);
  });
});
