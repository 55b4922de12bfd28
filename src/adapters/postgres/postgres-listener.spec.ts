import { Client } from 'pg';
import { waitFor } from '../../../test/support/control-plane-process';
import { FreezableProxy, startFreezableProxy } from '../../../test/support/freezable-proxy';
import { PostgresServer, startPostgresServer } from '../../../test/support/postgres-server';
import { PostgresListener } from './postgres-listener';

let server: PostgresServer;
beforeAll(async () => {
  server = await startPostgresServer();
}, 60_000);
afterAll(() => server?.stop());

describe('PostgresListener', () => {
  let proxy: FreezableProxy;
  let listener: PostgresListener | undefined;
  let heard: Array<string | undefined>;
  const notify = async (payload: string) => {
    const client = new Client({ connectionString: server.url });
    await client.connect();
    try {
      await client.query("SELECT pg_notify('events', $1)", [payload]);
    } finally {
      await client.end();
    }
  };
  beforeEach(async () => {
    proxy = await startFreezableProxy(server.url);
    heard = [];
  });
  afterEach(async () => {
    await listener?.close();
    await proxy.close();
  });

  it('hears what is notified on its channel', async () => {
    listener = await PostgresListener.start({ connectionString: proxy.url }, 'events', (p) => heard.push(p));
    await notify('1');
    await waitFor('the notification', async () => (heard.includes('1') ? true : undefined));
  });

  it('listens again when its connection goes silent without ending (a vanished host, a failover)', async () => {
    listener = await PostgresListener.start(
      { connectionString: proxy.url },
      'events',
      (payload) => heard.push(payload),
      200,
    );
    // On a slow machine a check may also time out before the freeze: only what follows it counts.
    const before = heard.length;
    proxy.freeze();
    // Notifications sent while it was not listening are lost: it says so with undefined.
    await waitFor(
      'a new connection',
      async () => (heard.slice(before).includes(undefined) ? true : undefined),
      20_000,
    );
    // Sent again until heard: a slow check may replace the connection once more meanwhile.
    await waitFor('the notification on the new connection', async () => {
      await notify('after');
      return heard.includes('after') ? true : undefined;
    });
  });
});
