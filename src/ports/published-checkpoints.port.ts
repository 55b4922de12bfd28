/** What is known of a published checkpoint without reading it. */
export interface PublishedCheckpoint {
  /**
   * The SHA-256 (hex) of the checkpoint's identity — the machines and tables that made it: a
   * control plane takes only one made by the same.
   */
  identity: string;
  /** The position of the last event of the log folded into it. */
  position: number;
  /** When it was published (ms since the epoch). */
  publishedAt: number;
  /** The size of its file in bytes. */
  sizeBytes: number;
}

/**
 * Checkpoints kept beside a shared log, where every control plane on it can take them: the leader
 * publishes a copy of its checkpoint (the actors and the read models as the log made them up to a
 * position), and a control plane whose own is missing or older starts from it and folds only the
 * events after its position, rather than the whole log. Only the latest is kept.
 */
export abstract class PublishedCheckpoints {
  /** The latest one published, if any. */
  abstract latest(): Promise<PublishedCheckpoint | undefined>;

  /**
   * Publishes the checkpoint file `file` (a copy no one writes any more) as the latest. Those
   * before it are dropped once it is whole; one that fails midway leaves them as they were.
   */
  abstract publish(file: string, about: Omit<PublishedCheckpoint, 'sizeBytes'>): Promise<PublishedCheckpoint>;

  /**
   * Writes the latest one into `file` (replaced if it exists).
   * @returns what it wrote, or undefined (and no file) when none was published.
   */
  abstract download(file: string): Promise<PublishedCheckpoint | undefined>;

  /** Releases the connections. */
  abstract close(): Promise<void>;
}
