import { firstValueFrom } from 'rxjs';
import { waitFor } from '../../../test/support/control-plane-process';
import {
  endLeaseSession,
  freshSchema,
  PostgresServer,
  startPostgresServer,
} from '../../../test/support/postgres-server';
import { describeLeadershipContract } from '../../leadership/leadership.contract';
import { PostgresLeaderLease } from './postgres-leader-lease';

let server: PostgresServer;
beforeAll(async () => {
  server = await startPostgresServer();
}, 60_000);
afterAll(() => server?.stop());

describeLeadershipContract('postgres lease', {
  createLeader: () => PostgresLeaderLease.open({ url: server.url, schema: freshSchema(), pollMs: 50 }),
});

describe('PostgresLeaderLease', () => {
  let leases: PostgresLeaderLease[];
  let schema: string;
  const open = async (forSchema = schema) => {
    const lease = await PostgresLeaderLease.open({ url: server.url, schema: forSchema, pollMs: 50 });
    leases.push(lease);
    return lease;
  };
  beforeEach(() => {
    schema = freshSchema();
    leases = [];
  });
  afterEach(() => Promise.all(leases.map((lease) => lease.release())));

  it('lets one control plane per schema lead; another follows, running no duty, until the first lets go', async () => {
    const first = await open();
    const second = await open();
    const elsewhere = await open(freshSchema());
    const ran: string[] = [];
    await second.whenLeading(() => void ran.push('catch up'));
    await second.whenLeading(() => void ran.push('go live'));
    expect([first.leading, second.leading, elsewhere.leading]).toEqual([true, false, true]);
    expect(ran).toEqual([]);

    await first.release();
    await waitFor('the second to lead', async () => (second.leading ? true : undefined), 10_000, 20);
    await waitFor('its duties', async () => (ran.length === 2 ? true : undefined), 10_000, 20);
    expect(ran).toEqual(['catch up', 'go live']);
  });

  it('says it lost the lead when its connection ends, and another control plane takes it', async () => {
    const first = await open();
    const second = await open();
    const lost = firstValueFrom(first.lost$);
    // The server ends the session that holds the lock, as it does when the leader's host dies.
    expect(await endLeaseSession(server.url, schema)).toBe(1);
    expect(await lost).toMatch(/connection/);
    expect(first.leading).toBe(false);
    await waitFor('the second to lead', async () => (second.leading ? true : undefined), 10_000, 20);
  });

  it('gives the lead up when a duty fails as it takes it, and lets another control plane lead', async () => {
    const first = await open();
    const second = await open();
    const third = await open();
    void second.whenLeading(() => {
      throw new Error('no handlers for the effects of: job');
    });
    const lost = firstValueFrom(second.lost$);
    await first.release();
    expect(await lost).toContain('a duty failed: no handlers for the effects of: job');
    await waitFor('the third to lead', async () => (third.leading ? true : undefined), 10_000, 20);
    expect(second.leading).toBe(false);
  });
});
