import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PublishedCheckpoints } from '../ports/published-checkpoints.port';

/** What a contract run needs: an empty place to publish checkpoints, as its adapter opens it. */
export interface PublishedCheckpointsFixture {
  /** @param pieceBytes how large a piece of a stored file may be (small, to test the split). */
  create(pieceBytes: number): Promise<PublishedCheckpoints>;
}

const PIECE_BYTES = 1_000;

/** The behaviour every {@link PublishedCheckpoints} adapter must show. Written once, run against each adapter. */
export function describePublishedCheckpointsContract(
  adapterName: string,
  fixture: PublishedCheckpointsFixture,
): void {
  describe(`PublishedCheckpoints contract: ${adapterName}`, () => {
    let shelf: PublishedCheckpoints;
    let dir: string;
    const file = (name: string, bytes: Buffer) => {
      writeFileSync(join(dir, name), bytes);
      return join(dir, name);
    };
    beforeEach(async () => {
      dir = mkdtempSync(join(tmpdir(), 'published-'));
      shelf = await fixture.create(PIECE_BYTES);
    });
    afterEach(async () => {
      await shelf.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('has none until one is published, and downloads nothing then', async () => {
      expect(await shelf.latest()).toBeUndefined();
      writeFileSync(join(dir, 'stale.db'), 'left from before');
      expect(await shelf.download(join(dir, 'stale.db'))).toBeUndefined();
      expect(() => readFileSync(join(dir, 'stale.db'))).toThrow(/ENOENT/);
    });

    it('gives back what was published, byte for byte, across many pieces', async () => {
      const bytes = randomBytes(PIECE_BYTES * 3 + 17);
      const about = { identity: 'a'.repeat(64), position: 42, publishedAt: 1_700_000_000_000 };
      expect(await shelf.publish(file('copy.db', bytes), about)).toEqual({
        ...about,
        sizeBytes: bytes.length,
      });
      expect(await shelf.latest()).toEqual({ ...about, sizeBytes: bytes.length });
      const target = file('target.db', Buffer.from('an older checkpoint, longer than nothing'));
      expect(await shelf.download(target)).toEqual({ ...about, sizeBytes: bytes.length });
      expect(readFileSync(target).equals(bytes)).toBe(true);
    });

    it('keeps only the latest: a later publication replaces the one before', async () => {
      await shelf.publish(file('first.db', randomBytes(PIECE_BYTES * 2)), {
        identity: 'first',
        position: 10,
        publishedAt: 1,
      });
      const second = randomBytes(PIECE_BYTES / 2);
      await shelf.publish(file('second.db', second), { identity: 'second', position: 20, publishedAt: 2 });
      expect(await shelf.latest()).toMatchObject({ identity: 'second', position: 20 });
      await shelf.download(join(dir, 'target.db'));
      expect(readFileSync(join(dir, 'target.db')).equals(second)).toBe(true);
    });

    it('keeps one whole checkpoint when two publish at once (a leader and the one after it)', async () => {
      const files = {
        first: randomBytes(PIECE_BYTES * 5),
        second: randomBytes(PIECE_BYTES * 5),
      };
      const publications = await Promise.allSettled(
        Object.entries(files).map(([identity, bytes], i) =>
          shelf.publish(file(`${identity}.db`, bytes), { identity, position: 10 + i, publishedAt: i }),
        ),
      );
      const published = publications.flatMap((outcome) =>
        outcome.status === 'fulfilled' ? [outcome.value.identity] : [],
      );
      const latest = await shelf.latest();
      expect(published).toContain(latest?.identity);
      await shelf.download(join(dir, 'target.db'));
      expect(readFileSync(join(dir, 'target.db')).equals(files[latest!.identity as keyof typeof files])).toBe(
        true,
      );
    });

    it('leaves the latest as it was when a publication fails', async () => {
      const bytes = randomBytes(PIECE_BYTES + 1);
      await shelf.publish(file('kept.db', bytes), { identity: 'kept', position: 5, publishedAt: 1 });
      await expect(
        shelf.publish(join(dir, 'missing.db'), { identity: 'lost', position: 9, publishedAt: 2 }),
      ).rejects.toThrow(/ENOENT/);
      expect(await shelf.latest()).toMatchObject({ identity: 'kept', position: 5 });
      await shelf.download(join(dir, 'target.db'));
      expect(readFileSync(join(dir, 'target.db')).equals(bytes)).toBe(true);
    });
  });
}
