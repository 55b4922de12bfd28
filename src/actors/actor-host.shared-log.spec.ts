import { filter, firstValueFrom } from 'rxjs';
import { waitFor } from '../../test/support/control-plane-process';
import { freshSchema, PostgresServer, startPostgresServer } from '../../test/support/postgres-server';
import { PostgresEventStore } from '../adapters/postgres/postgres-event-store';
import { ManualClock } from '../clock/manual-clock';
import { Upcaster } from '../events/upcaster';
import { ActorHost } from './actor-host.service';
import { DEFAULT_JOB_DEADLINE_MS } from '../../state-machines/job.machine';
import { GrantedLeadership } from '../../test/support/granted-leadership';
import { Leadership, SoleLeadership } from '../ports/leadership.port';
import { ACTOR_KINDS, JOB } from './actor-kinds';

let server: PostgresServer;
beforeAll(async () => {
  server = await startPostgresServer();
}, 60_000);
afterAll(() => server?.stop());

const clock = new ManualClock(Date.UTC(2026, 11, 7));
const uploaded = {
  type: 'JobUploaded',
  jobId: 'j1',
  fileName: 'cat.jpg',
  contentType: 'image/jpeg',
  sizeBytes: 10,
};

describe('ActorHost on a log shared by two control planes', () => {
  let schema: string;
  const opened: Array<{ host: ActorHost; store: PostgresEventStore }> = [];

  /**
   * A control plane's host over the shared log, booted, its effects recorded in `effects`: the
   * leader, or (`leadership` not granted yet) a follower.
   */
  async function boot(
    effects: string[] = [],
    leadership: Leadership = new SoleLeadership(),
  ): Promise<ActorHost> {
    const store = await PostgresEventStore.open({ url: server.url, schema }, clock);
    const host = new ActorHost(store, clock, new Upcaster(), undefined, leadership);
    for (const kind of ACTOR_KINDS) {
      const record = Object.fromEntries(
        Object.keys(kind.effects).map((effect) => [effect, () => void effects.push(effect)]),
      );
      host.handle(kind, record as Parameters<ActorHost['handle']>[1]);
    }
    await host.onModuleInit();
    await host.onApplicationBootstrap();
    opened.push({ host, store });
    return host;
  }

  /** Resolves once `host` holds job j1 at `version`. */
  const atVersion = (host: ActorHost, version: number) =>
    waitFor(`job j1 at version ${version}`, async () =>
      (host.get(JOB.streamId('j1'))?.version ?? 0) >= version ? true : undefined,
    );

  beforeEach(() => (schema = freshSchema()));
  afterEach(async () => {
    for (const { host, store } of opened.splice(0)) {
      await host.onModuleDestroy();
      await store.close();
    }
  });

  /** The leader, and a follower. */
  const leaderAndFollower = async (effectsOfLeader: string[] = [], effectsOfFollower: string[] = []) => [
    await boot(effectsOfLeader),
    await boot(effectsOfFollower, new GrantedLeadership()),
  ];

  it("has a follower fold the leader's events as live changes marked foreign, running none of their effects", async () => {
    const effectsOfB: string[] = [];
    const [a, b] = await leaderAndFollower([], effectsOfB);
    const seenByB = firstValueFrom(b.changes$.pipe(filter(({ event }) => event.type === 'JobUploaded')));
    await a.dispatch(JOB.streamId('j1'), uploaded);

    const change = await seenByB;
    expect(change).toMatchObject({ foreign: true, replayed: false, actor: { version: 1 } });
    expect(b.get(JOB.streamId('j1'))?.snapshot.value).toBe('uploaded');
    await b.settle();
    expect(effectsOfB).toEqual([]);
  });

  it('has the leader run the effects of what a follower appends, and the follower none', async () => {
    const [effectsOfA, effectsOfB] = [[] as string[], [] as string[]];
    const [a, b] = await leaderAndFollower(effectsOfA, effectsOfB);
    await b.dispatch(JOB.streamId('j1'), uploaded);

    await waitFor('the leader to enqueue the job', async () => (effectsOfA.length > 0 ? true : undefined));
    await Promise.all([a.settle(), b.settle()]);
    expect(effectsOfA).toEqual(['enqueueJob']);
    expect(effectsOfB).toEqual([]);
    // The job's deadline timer is the leader's to arm: it fires there, and its event reaches both.
    clock.advance(DEFAULT_JOB_DEADLINE_MS);
    await Promise.all([atVersion(a, 2), atVersion(b, 2)]);
    await Promise.all([a.settle(), b.settle()]);
    expect((await opened[0].store.readStream(JOB.streamId('j1'))).map((e) => e.type)).toEqual([
      'JobUploaded',
      'JobDeadlinePassed',
    ]);
  });

  it('has a follower that takes the lead fold the log to its end, then resume what was owed', async () => {
    const [effectsOfA, effectsOfB] = [[] as string[], [] as string[]];
    const lead = new GrantedLeadership();
    // Nobody leads: the job's enqueue is owed, as when the leader died before it ran it.
    const a = await boot(effectsOfA, new GrantedLeadership());
    const b = await boot(effectsOfB, lead);
    await a.dispatch(JOB.streamId('j1'), uploaded);
    expect(b.get(JOB.streamId('j1'))).toBeUndefined();

    await lead.grant();
    expect(b.get(JOB.streamId('j1'))?.version).toBe(1);
    await b.settle();
    expect(effectsOfB).toEqual(['enqueueJob']);
    expect(effectsOfA).toEqual([]);
  });

  it('lands both of two racing dispatches to one stream, the loser after folding the winner', async () => {
    const [a, b] = await leaderAndFollower();
    await a.dispatch(JOB.streamId('j1'), uploaded);
    await atVersion(b, 1);

    const [queued, started] = await Promise.all([
      a.dispatch(JOB.streamId('j1'), { type: 'JobQueued', messageId: 'm1' }),
      b.dispatch(JOB.streamId('j1'), { type: 'JobAttemptStarted', workerId: 'w1', attempt: 1 }),
    ]);
    expect([queued.accepted, started.accepted]).toEqual([true, true]);
    await Promise.all([atVersion(a, 3), atVersion(b, 3)]);
    const [onA, onB] = [a.get(JOB.streamId('j1'))!, b.get(JOB.streamId('j1'))!];
    expect(onA.snapshot.value).toBe('queued');
    expect(onB.snapshot.value).toBe('queued');
    expect(onB.snapshot.context).toEqual(onA.snapshot.context);
    expect(onA.snapshot.context).toMatchObject({ messageId: 'm1', attempts: 1, workerId: 'w1' });
  });

  it('ignores a racing dispatch that the winner made moot, writing it once', async () => {
    const [a, b] = await leaderAndFollower();
    await a.dispatch(JOB.streamId('j1'), uploaded);
    await atVersion(b, 1);

    const results = await Promise.all([
      a.dispatch(JOB.streamId('j1'), { type: 'JobQueued', messageId: 'm-a' }),
      b.dispatch(JOB.streamId('j1'), { type: 'JobQueued', messageId: 'm-b' }),
    ]);
    expect(results.map((r) => r.accepted).sort()).toEqual([false, true]);
    const [store] = [opened[0].store];
    expect((await store.readStream(JOB.streamId('j1'))).map((e) => e.type)).toEqual([
      'JobUploaded',
      'JobQueued',
    ]);
  });
});
