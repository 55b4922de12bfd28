import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteQueue } from '../src/adapters/local/sqlite-queue';
import type { ConsumerLogEntry, WorkItem } from './fixtures/queue-consumer';
import type { ReceivedReport, WaitingReport } from './fixtures/queue-doorbell-poller';
import { FixtureProcess, startFixture } from './fixtures/queue-fixture-process';

const CONSUMERS = 4;
const MESSAGES = 2000;
// Generous, so that no delivery times out under load on a 2-core machine: any redelivery of a
// message that was not abandoned is then a bug.
const VISIBILITY_TIMEOUT_MS = 60_000;
const ABANDON_EVERY = 20;
const ABANDON_TIMEOUT_MS = 1000;

type Receive = Extract<ConsumerLogEntry, { event: 'receive' }>;
type Abandon = Extract<ConsumerLogEntry, { event: 'abandon' }>;

function readLog(file: string): ConsumerLogEntry[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as ConsumerLogEntry);
}

function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) groups.set(key(item), [...(groups.get(key(item)) ?? []), item]);
  return groups;
}

describe('SqliteQueue shared by four consumer processes', () => {
  let dir: string;
  let producer: SqliteQueue;
  let consumers: FixtureProcess[] = [];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'queue-multiprocess-'));
    producer = new SqliteQueue({ file: join(dir, 'queues.sqlite'), name: 'requests' });
  });
  afterEach(async () => {
    consumers.forEach(({ child }) => child.exitCode === null && child.kill());
    consumers = [];
    await producer.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('wakes a long poll in another process when a message is sent, with no polling at all', async () => {
    const poller = startFixture('queue-doorbell-poller.ts', [join(dir, 'queues.sqlite'), 'requests']);
    consumers = [poller];
    await poller.nextMessage<WaitingReport>('waiting');

    await producer.send('ring');

    expect(await poller.nextMessage<ReceivedReport>('received')).toEqual({
      type: 'received',
      bodies: ['ring'],
    });
    await poller.finished;
  });

  it('processes each of 2 000 messages exactly once, redelivering only after the visibility lapsed', async () => {
    const file = join(dir, 'queues.sqlite');
    const logs = Array.from({ length: CONSUMERS }, (_, i) => join(dir, `consumer-${i}.jsonl`));
    consumers = logs.map((log) =>
      startFixture('queue-consumer.ts', [
        file,
        'requests',
        log,
        `${VISIBILITY_TIMEOUT_MS}`,
        `${ABANDON_TIMEOUT_MS}`,
      ]),
    );
    await Promise.all(consumers.map((consumer) => consumer.nextMessage('ready')));

    const started = Date.now();
    // Each consumer holds its first delivery until all four hold one (the visibility outlasts that).
    const allHolding = Promise.all(consumers.map((consumer) => consumer.nextMessage('holding')));
    const sent: string[] = [];
    const abandoned = new Set<string>();
    for (let n = 0; n < MESSAGES; n += 10) {
      const items: WorkItem[] = Array.from({ length: 10 }, (_, i) => ({
        n: n + i,
        abandon: (n + i) % ABANDON_EVERY === 0,
      }));
      const ids = await producer.sendBatch(items.map((item) => JSON.stringify(item)));
      sent.push(...ids);
      ids.forEach((id, i) => items[i].abandon && abandoned.add(id));
    }
    await allHolding;
    consumers.forEach(({ child }) => child.send({ type: 'go' }));
    consumers.forEach(({ child }) => child.send({ type: 'drain' }));
    await Promise.all(consumers.map((consumer) => consumer.finished));
    const elapsedMs = Date.now() - started;

    const perConsumer = logs.map(readLog);
    const entries = perConsumer.flat();
    const receives = entries.filter((e): e is Receive => e.event === 'receive');
    const abandons = new Map(
      entries.filter((e): e is Abandon => e.event === 'abandon').map((e) => [e.receiptHandle, e]),
    );
    const deletedIds = entries.filter((e) => e.event === 'delete').map((e) => e.id);

    // Every message processed (deleted) exactly once, across all consumers.
    expect(deletedIds).toHaveLength(MESSAGES);
    expect(new Set(deletedIds)).toEqual(new Set(sent));
    // Every consumer took part.
    perConsumer.forEach((log) => expect(log.filter((e) => e.event === 'receive').length).toBeGreaterThan(0));
    // Each delivery has its own receipt handle.
    expect(new Set(receives.map((r) => r.receiptHandle)).size).toBe(receives.length);
    // Only abandoned messages came back, once each.
    const deliveries = groupBy(receives, (r) => r.id);
    const redelivered = [...deliveries].filter(([, list]) => list.length > 1).map(([id]) => id);
    expect(new Set(redelivered)).toEqual(abandoned);
    // No delivery while an earlier one's visibility held: a redelivery returns no earlier than the
    // earliest moment the previous delivery's visibility could have lapsed.
    for (const list of deliveries.values()) {
      const ordered = [...list].sort((a, b) => a.receiveCount - b.receiveCount);
      expect(ordered.map((r) => r.receiveCount)).toEqual(ordered.map((_, i) => i + 1));
      for (let i = 1; i < ordered.length; i++) {
        const previous = ordered[i - 1];
        const abandon = abandons.get(previous.receiptHandle);
        const lapsedNoEarlierThan = abandon
          ? abandon.calledAt + ABANDON_TIMEOUT_MS
          : previous.calledAt + VISIBILITY_TIMEOUT_MS;
        expect(ordered[i].returnedAt).toBeGreaterThanOrEqual(lapsedNoEarlierThan);
      }
    }
    console.log(
      `${MESSAGES} messages, ${receives.length} deliveries, ${CONSUMERS} processes: ${elapsedMs} ms ` +
        `(deletes per consumer: ${perConsumer.map((log) => log.filter((e) => e.event === 'delete').length).join(', ')})`,
    );
  }, 120_000);
});
