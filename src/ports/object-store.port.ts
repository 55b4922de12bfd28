import type { Readable } from 'node:stream';

/** Content type recorded when a `put` names none (S3 always reports one, so the port does too). */
export const DEFAULT_CONTENT_TYPE = 'application/octet-stream';

/** Options of {@link ObjectStore.put}. */
export interface PutObjectOptions {
  /** MIME type stored with the object and reported by `head`. Default: {@link DEFAULT_CONTENT_TYPE}. */
  contentType?: string;
}

/** What {@link ObjectStore.head} reports about a stored object. */
export interface ObjectInfo {
  /** Size of the object's bytes. */
  size: number;
  /** As given to `put`, or {@link DEFAULT_CONTENT_TYPE}. */
  contentType: string;
  /** When the current version was written (backends may round, S3 to the second). */
  lastModified: Date;
}

/**
 * Stores job inputs and outputs as whole objects under flat, S3-compatible keys: '/' is only a
 * separator, so `a` and `a/b` may both exist, and listing is by prefix.
 *
 * Every method refuses a malformed key with `InvalidObjectKeyError` (see `assertValidObjectKey`)
 * before touching the backend. A reader sees an object's previous version or its new one,
 * never a partly written one.
 */
export abstract class ObjectStore {
  /** Writes `body` under `key`, replacing any existing object. Resolves once the object is readable. */
  abstract put(key: string, body: Buffer | Readable, options?: PutObjectOptions): Promise<void>;

  /** Reads a whole object into memory. Rejects with `ObjectNotFoundError` when there is none. */
  abstract get(key: string): Promise<Buffer>;

  /**
   * Opens an object for streaming, for objects too large to hold in memory. Rejects with
   * `ObjectNotFoundError` before any byte is streamed when there is none. The stream yields one
   * version even if the key is overwritten meanwhile; the caller must consume or destroy it.
   */
  abstract getStream(key: string): Promise<Readable>;

  /** Describes an object, or returns `null` when there is none. */
  abstract head(key: string): Promise<ObjectInfo | null>;

  /** Removes an object. Idempotent: deleting a missing object succeeds. */
  abstract delete(key: string): Promise<void>;

  /**
   * Yields the keys that start with `prefix` (`''` for all), in ascending UTF-8 byte order, as S3
   * does. An async iterable rather than an array so that a paginated backend can stream a large
   * listing; use {@link listAll} when the listing is known to be small. A key written or deleted
   * while the listing runs may or may not appear.
   */
  abstract list(prefix: string): AsyncIterable<string>;

  /** Collects {@link list} into an array. */
  async listAll(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    for await (const key of this.list(prefix)) keys.push(key);
    return keys;
  }
}
