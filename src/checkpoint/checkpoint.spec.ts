import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InMemoryEventStore } from '../adapters/memory/in-memory-event-store';
import { InMemoryPublishedCheckpoints } from '../adapters/memory/in-memory-published-checkpoints';
import { ManualClock } from '../clock/manual-clock';
import { EventStore } from '../ports/event-store.port';
import { Checkpoint, CheckpointOptions, CheckpointPart } from './checkpoint';

/** A part that keeps a list of words in a table of its own. */
class Words implements CheckpointPart {
  words: string[] = [];
  private unwritten: string[] = [];
  private insert?: Database.Statement<[string]>;

  constructor(readonly schema = 'CREATE TABLE IF NOT EXISTS words (word TEXT NOT NULL);') {}

  restore(db: Database.Database): void {
    this.insert = db.prepare('INSERT INTO words (word) VALUES (?)');
    this.words = db.prepare('SELECT word FROM words ORDER BY rowid').pluck().all() as string[];
  }

  add(word: string): void {
    this.words.push(word);
    this.unwritten.push(word);
  }

  write(): void {
    this.unwritten.splice(0).forEach((word) => this.insert!.run(word));
  }
}

async function logOf(streams: string[]): Promise<EventStore> {
  const log = new InMemoryEventStore(new ManualClock());
  for (const stream of streams) await log.append(stream, [{ type: 'Happened', data: {} }], 'any');
  return log;
}

describe('Checkpoint: what folding the log made so far, valid only for the log and code that made it', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'checkpoint-'));
    file = join(dir, 'checkpoint.db');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** The checkpoint file opened on `log`, with one part. */
  async function openOn(log: EventStore, identity = 'machines v1', options?: CheckpointOptions) {
    const checkpoint = new Checkpoint(file, options);
    const part = new Words();
    checkpoint.add(part);
    await checkpoint.open(log, identity);
    return { checkpoint, part };
  }

  /** Writes a checkpoint of `words` as of the log's last event, and closes it. */
  async function written(log: EventStore, words: string[], identity = 'machines v1'): Promise<void> {
    const { checkpoint, part } = await openOn(log, identity);
    words.forEach((word) => part.add(word));
    const [last] = await log.readAll({ after: (await log.lastPosition()) - 1 });
    checkpoint.advance(last);
    checkpoint.close();
  }

  async function reopened(log: EventStore, identity = 'machines v1', part = new Words()) {
    const checkpoint = new Checkpoint(file);
    checkpoint.add(part);
    const opened = await checkpoint.open(log, identity);
    checkpoint.close();
    return { ...opened, words: part.words };
  }

  it('starts empty: everything is to be folded', async () => {
    expect(await reopened(await logOf(['a', 'b']))).toEqual({ position: 0, rebuilt: true, words: [] });
  });

  it("gives back the parts' state and the position it was written at", async () => {
    const log = await logOf(['a', 'b', 'c']);
    await written(log, ['one', 'two']);
    expect(await reopened(log)).toEqual({ position: 3, rebuilt: false, words: ['one', 'two'] });
  });

  it('writes the parts and the position of one turn together, at the end of the turn', async () => {
    const log = await logOf(['a', 'b']);
    const { checkpoint, part } = await openOn(log, 'machines v1', { writeAfterMs: 0 });
    part.add('one');
    checkpoint.advance((await log.readAll())[1]);
    const onDisk = new Database(file, { readonly: true });
    const rows = () => onDisk.prepare('SELECT COUNT(*) FROM words').pluck().get();
    const position = () => onDisk.prepare('SELECT position FROM checkpoint').pluck().get();
    expect([rows(), position()]).toEqual([0, 0]);
    await new Promise((resolve) => setImmediate(resolve));
    expect([rows(), position()]).toEqual([1, 2]);
    onDisk.close();
    checkpoint.close();
  });

  it('with writeAfterMs, lets the changes of many turns wait for one write; closing writes them', async () => {
    const log = await logOf(['a', 'b']);
    const { checkpoint, part } = await openOn(log, 'machines v1', { writeAfterMs: 60_000 });
    const onDisk = new Database(file, { readonly: true });
    const rows = () => onDisk.prepare('SELECT COUNT(*) FROM words').pluck().get();
    for (const word of ['one', 'two']) {
      part.add(word);
      checkpoint.schedule();
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(rows()).toBe(0);
    checkpoint.close();
    expect(rows()).toBe(2);
    onDisk.close();
  });

  it('is rebuilt for another log: the event at its position is not the one it folded', async () => {
    await written(await logOf(['a', 'b', 'c']), ['one']);
    expect(await reopened(await logOf(['a', 'b', 'other']))).toMatchObject({
      position: 0,
      rebuilt: true,
      words: [],
    });
    await written(await logOf(['a', 'b', 'c']), ['one']);
    expect(await reopened(await logOf(['a', 'b']))).toMatchObject({ position: 0, rebuilt: true, words: [] });
  });

  it('is rebuilt when other machines or another table layout would read it', async () => {
    const log = await logOf(['a']);
    await written(log, ['one']);
    expect(await reopened(log, 'machines v2')).toMatchObject({ position: 0, rebuilt: true, words: [] });
    await written(log, ['one']);
    const widened = new Words('CREATE TABLE IF NOT EXISTS words (word TEXT NOT NULL, lang TEXT);');
    expect(await reopened(log, 'machines v1', widened)).toMatchObject({ rebuilt: true, words: [] });
  });

  it('saves a consistent copy of itself', async () => {
    const log = await logOf(['a', 'b']);
    const { checkpoint, part } = await openOn(log);
    part.add('one');
    checkpoint.advance((await log.readAll())[0]);
    checkpoint.saveCopy(join(dir, 'copy.db'));
    part.add('two');
    checkpoint.advance((await log.readAll())[1]);
    checkpoint.close();
    file = join(dir, 'copy.db');
    expect(await reopened(log)).toEqual({ position: 1, rebuilt: false, words: ['one'] });
  });

  it('takes no part once it is open', async () => {
    const checkpoint = new Checkpoint();
    await checkpoint.open(await logOf([]), 'machines v1');
    expect(() => checkpoint.add(new Words())).toThrow('joined after the checkpoint was opened');
    checkpoint.close();
  });

  describe('on a shared log, with published checkpoints', () => {
    let published: InMemoryPublishedCheckpoints;
    beforeEach(() => (published = new InMemoryPublishedCheckpoints()));

    /** Another control plane's checkpoint of `words` as of the log's event at `position`, published. */
    async function publishedBy(log: EventStore, words: string[], position: number, identity = 'machines v1') {
      const checkpoint = new Checkpoint(join(dir, 'leader', 'checkpoint.db'), { published });
      const part = new Words();
      checkpoint.add(part);
      await checkpoint.open(log, identity);
      words.forEach((word) => part.add(word));
      checkpoint.advance((await log.readAll())[position - 1]);
      const about = await checkpoint.publish(Date.UTC(2026, 11, 7));
      checkpoint.close();
      return about;
    }

    async function openedWithPublished(log: EventStore, identity = 'machines v1') {
      const checkpoint = new Checkpoint(file, { published });
      const part = new Words();
      checkpoint.add(part);
      const opened = await checkpoint.open(log, identity);
      checkpoint.close();
      return { ...opened, words: part.words };
    }

    it('publishes a copy, which a control plane with no checkpoint of its own starts from', async () => {
      const log = await logOf(['a', 'b', 'c']);
      expect(await publishedBy(log, ['one', 'two'], 3)).toEqual({
        identity: expect.stringMatching(/^[0-9a-f]{64}$/),
        position: 3,
        publishedAt: Date.UTC(2026, 11, 7),
        sizeBytes: expect.any(Number),
      });
      expect(await openedWithPublished(log)).toEqual({ position: 3, rebuilt: false, words: ['one', 'two'] });
    });

    it('takes the published one over its own when its own is older', async () => {
      const log = await logOf(['a', 'b', 'c']);
      await written(log, ['mine']);
      await log.append('d', [{ type: 'Happened', data: {} }], 'any');
      await publishedBy(log, ['theirs'], 4);
      expect(await openedWithPublished(log)).toEqual({ position: 4, rebuilt: false, words: ['theirs'] });
    });

    it('keeps its own when it is as far along the log, or further', async () => {
      const log = await logOf(['a', 'b', 'c']);
      await publishedBy(log, ['theirs'], 2);
      await written(log, ['mine']);
      expect(await openedWithPublished(log)).toEqual({ position: 3, rebuilt: false, words: ['mine'] });
    });

    it('takes none made by other machines or tables: it rebuilds from the log instead', async () => {
      const log = await logOf(['a', 'b']);
      await publishedBy(log, ['theirs'], 2, 'machines v1');
      expect(await openedWithPublished(log, 'machines v2')).toEqual({
        position: 0,
        rebuilt: true,
        words: [],
      });
    });

    it('takes none whose last event the log does not hold: it rebuilds from the log instead', async () => {
      await publishedBy(await logOf(['a', 'b']), ['theirs'], 2);
      expect(await openedWithPublished(await logOf(['a', 'other']))).toEqual({
        position: 0,
        rebuilt: true,
        words: [],
      });
    });

    it('publishes nothing before it holds an event', async () => {
      const checkpoint = new Checkpoint(file, { published });
      checkpoint.add(new Words());
      await checkpoint.open(await logOf(['a']), 'machines v1');
      expect(await checkpoint.publish(1)).toBeUndefined();
      checkpoint.close();
      expect(await published.latest()).toBeUndefined();
    });
  });
});
