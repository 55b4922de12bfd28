import { readFile, rm, writeFile } from 'node:fs/promises';
import { PublishedCheckpoint, PublishedCheckpoints } from '../../ports/published-checkpoints.port';

/** Published checkpoints in process memory: for tests. Passes the same contract as PostgreSQL. */
export class InMemoryPublishedCheckpoints extends PublishedCheckpoints {
  private stored?: { about: PublishedCheckpoint; bytes: Buffer };

  async latest(): Promise<PublishedCheckpoint | undefined> {
    return this.stored && { ...this.stored.about };
  }

  async publish(file: string, about: Omit<PublishedCheckpoint, 'sizeBytes'>): Promise<PublishedCheckpoint> {
    const bytes = await readFile(file);
    this.stored = { about: { ...about, sizeBytes: bytes.length }, bytes };
    return { ...this.stored.about };
  }

  async download(file: string): Promise<PublishedCheckpoint | undefined> {
    const stored = this.stored;
    if (!stored) {
      await rm(file, { force: true });
      return undefined;
    }
    await writeFile(file, stored.bytes);
    return { ...stored.about };
  }

  async close(): Promise<void> {}
}
