import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { UploadedFile } from '../jobs/uploaded-file';

/** A file larger than this always goes to disk: 4 MiB. */
export const LARGEST_FILE_IN_MEMORY = 4 * 1024 * 1024;

/** What the storage made of a file: its bytes in memory, or the temporary file holding them. */
export type StoredUpload = Pick<UploadedFile, 'buffer' | 'path' | 'size'>;

/**
 * Where uploaded files wait while their request runs. A file stays in memory while it is
 * at most {@link LARGEST_FILE_IN_MEMORY} and the files held in memory together stay within
 * `memoryBytes`; past either, it streams on to a temporary file in `folder` as it arrives. The
 * usual upload, one photo, then costs no file writes and reads besides the object store's, and a
 * flood of large ones holds no more memory than the budget. {@link release} lets go of a file when
 * its request is done with it.
 */
export class UploadStorage {
  private readonly logger = new Logger(UploadStorage.name);
  private heldBytes = 0;
  /** The buffers handed out and not released yet: the budget they hold is their length. */
  private readonly held = new Set<Buffer>();

  /**
   * @param folder where files that do not stay in memory are written.
   * @param memoryBytes the most bytes of uploads held in memory at once (env UPLOAD_MEMORY_BYTES).
   */
  constructor(
    private readonly folder: string,
    private readonly memoryBytes: number,
  ) {}

  /** Bytes of uploads held in memory now. */
  get bytesInMemory(): number {
    return this.heldBytes;
  }

  /** Takes in one file's bytes as they arrive; resolves once all of them are held, or rejects with the stream's error. */
  store(stream: Readable): Promise<StoredUpload> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const detach = () => {
        stream.off('data', onData);
        stream.off('end', onEnd);
        stream.off('error', onError);
      };
      const onData = (chunk: Buffer) => {
        const fits =
          size + chunk.length <= LARGEST_FILE_IN_MEMORY && this.heldBytes + chunk.length <= this.memoryBytes;
        if (fits) {
          chunks.push(chunk);
          size += chunk.length;
          this.heldBytes += chunk.length;
          return;
        }
        stream.pause();
        detach();
        this.heldBytes -= size;
        this.spill(stream, [...chunks, chunk]).then(resolve, reject);
      };
      const onEnd = () => {
        detach();
        const buffer = Buffer.concat(chunks, size);
        this.held.add(buffer);
        resolve({ buffer, size });
      };
      const onError = (error: Error) => {
        detach();
        this.heldBytes -= size;
        reject(error);
      };
      stream.on('data', onData);
      stream.on('end', onEnd);
      stream.on('error', onError);
    });
  }

  /** Lets go of a request's files ({@link release}); a temporary file that cannot be deleted is logged. */
  releaseAll(files: readonly StoredUpload[]): void {
    for (const file of files) {
      this.release(file).catch((error: Error) => {
        this.logger.warn(`Could not delete ${file.path}: ${error.message}`);
      });
    }
  }

  /** Lets go of an uploaded file: gives its bytes back to the budget, or deletes its temporary file. */
  async release(file: StoredUpload): Promise<void> {
    if (file.buffer && this.held.delete(file.buffer)) this.heldBytes -= file.buffer.length;
    if (file.path) await rm(file.path, { force: true });
  }

  /** Writes what came so far and the rest of the stream to a new temporary file. */
  private async spill(stream: Readable, received: Buffer[]): Promise<StoredUpload> {
    const path = join(this.folder, randomUUID());
    const out = createWriteStream(path, { flags: 'wx' });
    for (const chunk of received) out.write(chunk);
    try {
      await pipeline(stream, out);
    } catch (error) {
      await rm(path, { force: true });
      throw error;
    }
    return { path, size: out.bytesWritten };
  }
}
