import { mkdir, open, readdir, rename, rm, unlink, type FileHandle } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { coalesced } from '../../common/coalesced';
import { assertValidObjectKey, assertValidObjectKeyPrefix } from '../../object-store/object-key';
import { InvalidObjectKeyError, ObjectNotFoundError } from '../../object-store/object-store.errors';
import {
  DEFAULT_CONTENT_TYPE,
  ObjectInfo,
  ObjectStore,
  PutObjectOptions,
} from '../../ports/object-store.port';
import { encodeHeader, parseHeader, readHeader } from './fs-object-store.format';
import {
  directoryName,
  MAX_FILE_NAME_BYTES,
  objectFileName,
  segmentOfDirectory,
  segmentOfObjectFile,
  isTemporaryFileName,
  temporaryFileName,
} from './fs-object-store.paths';
import { fsyncDirectory, isMissingPath, lastWritten } from './file-system';

/** Options of {@link FsObjectStore}. */
export interface FsObjectStoreOptions {
  /** Directory that holds the objects; created on the first write. Several processes may share it. */
  rootDir: string;
  /**
   * fsync each written file and its directory before `put` or `delete` resolves, so that an
   * acknowledged write survives a power loss. Default: `true`.
   */
  durable?: boolean;
}

interface ListEntry {
  order: Buffer;
  key: string;
  directory?: string;
}

/**
 * An {@link ObjectStore} in a directory on disk (the `local` profile). A put writes a temporary
 * file in the object's own directory, fsyncs it and renames it over the object, so readers and a
 * restarted process see the old version or the new one, never part of one. Temporary files left by
 * a crash are never listed or read; {@link sweepTemporaryFiles} removes them. Empty directories are left behind
 * by `delete`: removing them would race with a concurrent `put` into the same directory.
 */
export class FsObjectStore extends ObjectStore {
  /** Absolute path of the root directory. */
  readonly rootDir: string;
  private readonly durable: boolean;
  /** The fsync of each directory with puts or deletes under way, shared by them (see {@link coalesced}). */
  private readonly directorySyncs = new Map<string, () => Promise<void>>();

  constructor(options: FsObjectStoreOptions) {
    super();
    this.rootDir = resolve(options.rootDir);
    this.durable = options.durable ?? true;
  }

  async put(key: string, body: Buffer | Readable, options: PutObjectOptions = {}): Promise<void> {
    // Until the body is read below, an 'error' it emits would have no listener and crash the
    // process; the read itself still fails with that error.
    const ignoreUntilRead = (): void => undefined;
    if (!Buffer.isBuffer(body)) body.on('error', ignoreUntilRead);
    try {
      await this.write(key, body, options.contentType ?? DEFAULT_CONTENT_TYPE);
    } finally {
      if (!Buffer.isBuffer(body)) body.off('error', ignoreUntilRead);
    }
  }

  private async write(key: string, body: Buffer | Readable, contentType: string): Promise<void> {
    const { directory, path } = this.locate(key);
    const temporaryPath = join(directory, temporaryFileName());
    const { file, firstCreated } = await createIn(directory, temporaryPath);
    try {
      try {
        await writeBody(file, encodeHeader({ contentType }), body);
        if (this.durable) await file.sync();
      } finally {
        await file.close();
      }
      await rename(temporaryPath, path);
    } catch (error) {
      await rm(temporaryPath, { force: true });
      throw error;
    }
    if (this.durable) await this.syncDirectories(directory, firstCreated);
  }

  async get(key: string): Promise<Buffer> {
    const file = await this.openObject(key);
    try {
      // One read of the whole file: objects are read whole, and most are small.
      const bytes = await file.readFile();
      return bytes.subarray(parseHeader(bytes, key).dataOffset);
    } finally {
      await file.close();
    }
  }

  async getStream(key: string): Promise<Readable> {
    const file = await this.openObject(key);
    try {
      const { dataOffset } = await readHeader(file, key);
      // Streams from the open handle, which keeps this version readable even if it is replaced.
      return file.createReadStream({ start: dataOffset });
    } catch (error) {
      await file.close();
      throw error;
    }
  }

  async head(key: string): Promise<ObjectInfo | null> {
    let file: FileHandle;
    try {
      file = await this.openObject(key);
    } catch (error) {
      if (error instanceof ObjectNotFoundError) return null;
      throw error;
    }
    try {
      const { header, dataOffset } = await readHeader(file, key);
      const stats = await file.stat();
      const lastModified = new Date(stats.mtimeMs);
      return { size: stats.size - dataOffset, contentType: header.contentType, lastModified };
    } finally {
      await file.close();
    }
  }

  async delete(key: string): Promise<void> {
    const { directory, path } = this.locate(key);
    try {
      await unlink(path);
    } catch (error) {
      if (isMissingPath(error)) return;
      throw error;
    }
    if (this.durable) await this.syncDirectory(directory);
  }

  async *list(prefix: string): AsyncIterable<string> {
    assertValidObjectKeyPrefix(prefix);
    const segments = prefix.split('/');
    const partial = segments.pop() ?? '';
    const directory = join(this.rootDir, ...segments.map((s) => checkedName(prefix, directoryName(s))));
    yield* this.walk(directory, segments.map((segment) => `${segment}/`).join(''), partial);
  }

  /** Yields the keys below `directory` in UTF-8 byte order, as S3 lists them. */
  private async *walk(directory: string, keyPrefix: string, partial = ''): AsyncIterable<string> {
    let names;
    try {
      names = await readdir(directory, { withFileTypes: true });
    } catch (error) {
      if (isMissingPath(error)) return;
      throw error;
    }
    const entries: ListEntry[] = [];
    for (const entry of names) {
      const isDirectory = entry.isDirectory();
      const segment = isDirectory
        ? segmentOfDirectory(entry.name)
        : entry.isFile()
          ? segmentOfObjectFile(entry.name)
          : null;
      if (segment === null || !segment.startsWith(partial)) continue;
      // A directory stands for keys `segment/...`, so it sorts as `segment/` among the files.
      const suffix = isDirectory ? '/' : '';
      entries.push({
        order: Buffer.from(segment + suffix, 'utf8'),
        key: keyPrefix + segment + suffix,
        directory: isDirectory ? join(directory, entry.name) : undefined,
      });
    }
    entries.sort((a, b) => Buffer.compare(a.order, b.order));
    for (const entry of entries) {
      if (entry.directory) yield* this.walk(entry.directory, entry.key);
      else yield entry.key;
    }
  }

  /**
   * Removes temporary files that writers killed mid-put left behind, if last written more than
   * `olderThanMs` ago: a put in progress in another process keeps writing its file, so a recent
   * one may still become an object. Resolves with how many it removed.
   */
  async sweepTemporaryFiles(olderThanMs: number): Promise<number> {
    const cutoff = Date.now() - olderThanMs;
    let removed = 0;
    const sweep = async (directory: string): Promise<void> => {
      let entries;
      try {
        entries = await readdir(directory, { withFileTypes: true });
      } catch (error) {
        if (isMissingPath(error)) return;
        throw error;
      }
      for (const entry of entries) {
        const path = join(directory, entry.name);
        if (entry.isDirectory()) await sweep(path);
        else if (isTemporaryFileName(entry.name) && (await lastWritten(path)) < cutoff) {
          await rm(path, { force: true });
          removed++;
        }
      }
    };
    await sweep(this.rootDir);
    return removed;
  }

  /** Makes the rename into `directory` durable, and the directories `mkdir` created down to it. */
  private async syncDirectories(directory: string, firstCreated: string | undefined): Promise<void> {
    await this.syncDirectory(directory);
    if (firstCreated === undefined) return;
    for (let created = directory; created !== dirname(created); created = dirname(created)) {
      await this.syncDirectory(dirname(created));
      if (created === firstCreated) return;
    }
  }

  /**
   * Makes a rename or unlink in `directory` durable. Concurrent puts into one directory share
   * its fsyncs: one that began after a rename covers it.
   */
  private syncDirectory(directory: string): Promise<void> {
    let sync = this.directorySyncs.get(directory);
    if (!sync) {
      sync = coalesced(
        () => fsyncDirectory(directory),
        () => this.directorySyncs.delete(directory),
      );
      this.directorySyncs.set(directory, sync);
    }
    return sync();
  }

  private locate(key: string): { directory: string; path: string } {
    assertValidObjectKey(key);
    const segments = key.split('/');
    const fileName = checkedName(key, objectFileName(segments.pop() as string));
    const directory = join(this.rootDir, ...segments.map((s) => checkedName(key, directoryName(s))));
    return { directory, path: join(directory, fileName) };
  }

  private async openObject(key: string): Promise<FileHandle> {
    const { path } = this.locate(key);
    try {
      return await open(path, 'r');
    } catch (error) {
      if (isMissingPath(error)) throw new ObjectNotFoundError(key, { cause: error });
      throw error;
    }
  }
}

async function writeBody(file: FileHandle, header: Buffer, body: Buffer | Readable): Promise<void> {
  if (Buffer.isBuffer(body)) return file.writeFile(Buffer.concat([header, body]));
  await file.writeFile(header);
  // writeFile writes from the current position and, unlike write, never stops short.
  for await (const chunk of body) await file.writeFile(chunk as Uint8Array | string);
}

/**
 * Creates the new file at `path` in `directory`, creating the directory first only when it is
 * missing (the usual directory exists, so most puts skip the `mkdir`). `firstCreated` is the
 * first directory `mkdir` created, if any, as it reports it.
 */
async function createIn(
  directory: string,
  path: string,
): Promise<{ file: FileHandle; firstCreated: string | undefined }> {
  try {
    return { file: await open(path, 'wx'), firstCreated: undefined };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const firstCreated = await mkdir(directory, { recursive: true });
  return { file: await open(path, 'wx'), firstCreated };
}

/** Refuses a key whose segment, once escaped, is longer than the filesystem allows. */
function checkedName(key: string, name: string): string {
  if (Buffer.byteLength(name, 'utf8') > MAX_FILE_NAME_BYTES) {
    throw new InvalidObjectKeyError(key, 'a segment is too long for the local store once "%" is escaped');
  }
  return name;
}
