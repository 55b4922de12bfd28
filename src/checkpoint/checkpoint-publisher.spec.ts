import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GrantedLeadership } from '../../test/support/granted-leadership';
import { InMemoryEventStore } from '../adapters/memory/in-memory-event-store';
import { InMemoryPublishedCheckpoints } from '../adapters/memory/in-memory-published-checkpoints';
import { ManualClock } from '../clock/manual-clock';
import { testConfig } from '../config/app-config';
import { Checkpoint, CheckpointPart } from './checkpoint';
import { CheckpointPublisher } from './checkpoint-publisher';

const EVERY_MS = 60_000;

/** A part with nothing in it: the publisher cares only for the position. */
const emptyPart: CheckpointPart = {
  schema: 'CREATE TABLE IF NOT EXISTS empty_part (x INTEGER);',
  restore: (_db: Database.Database) => undefined,
  write: () => undefined,
};

describe('CheckpointPublisher: the leader publishes its checkpoint on a beat, when it moved', () => {
  let dir: string;
  let clock: ManualClock;
  let log: InMemoryEventStore;
  let published: InMemoryPublishedCheckpoints;
  let checkpoint: Checkpoint;
  let leadership: GrantedLeadership;
  let publisher: CheckpointPublisher;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'publisher-'));
    clock = new ManualClock();
    log = new InMemoryEventStore(clock);
    published = new InMemoryPublishedCheckpoints();
    checkpoint = new Checkpoint(join(dir, 'checkpoint.db'), { published });
    checkpoint.add(emptyPart);
    await checkpoint.open(log, 'machines v1');
    leadership = new GrantedLeadership();
    const config = testConfig({
      eventStore: {
        kind: 'postgres',
        url: 'postgres://db/unused',
        schema: 's',
        checkpointPublishMs: EVERY_MS,
      },
    });
    publisher = new CheckpointPublisher(config, clock, checkpoint, leadership);
    await publisher.onApplicationBootstrap();
  });
  afterEach(async () => {
    await publisher?.onModuleDestroy();
    checkpoint.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Folds one more event into the checkpoint. */
  async function folded(): Promise<void> {
    const { events } = await log.append('s', [{ type: 'Happened', data: {} }], 'any');
    checkpoint.advance(events[0]);
  }

  /** One beat of its timer, and the publication it started, if any. */
  async function beat(): Promise<void> {
    clock.advance(EVERY_MS);
    await publisher.idle();
  }

  it('publishes nothing while it follows', async () => {
    await folded();
    expect(clock.pendingTimers).toBe(0);
    await beat();
    expect(await published.latest()).toBeUndefined();
  });

  it('once it leads, publishes on each beat the checkpoint has moved since the last', async () => {
    await leadership.grant();
    await folded();
    await beat();
    expect(await published.latest()).toMatchObject({ position: 1, publishedAt: clock.now() });
    const first = clock.now();
    await beat();
    expect(await published.latest()).toMatchObject({ position: 1, publishedAt: first });
    await folded();
    await folded();
    await beat();
    expect(await published.latest()).toMatchObject({ position: 3, publishedAt: clock.now() });
  });

  it('publishes nothing a leader before it published already', async () => {
    await folded();
    await checkpoint.publish(clock.now());
    const before = await published.latest();
    await leadership.grant();
    expect(await publisher.publishIfAhead()).toBeUndefined();
    expect(await published.latest()).toEqual(before);
  });
});
