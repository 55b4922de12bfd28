import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';

/**
 * An uploaded file, as the web tier received it: its bytes in memory, or in a temporary file
 * (a large one), which the web tier deletes.
 */
export interface UploadedFile {
  /** The name the client gave it. */
  originalname: string;
  /** Its size in bytes. */
  size: number;
  /** Its bytes, when they are held in memory. */
  buffer?: Buffer;
  /** The temporary file holding its bytes, when they are not in memory. */
  path?: string;
}

/** The file's bytes, as they are or streamed from its temporary file. */
export function uploadBody(file: Pick<UploadedFile, 'buffer' | 'path'>): Buffer | Readable {
  if (file.buffer) return file.buffer;
  if (file.path) return createReadStream(file.path);
  throw new Error('An uploaded file with neither bytes nor a path');
}

/** Up to the first `length` bytes of the file. */
export async function uploadStart(
  file: Pick<UploadedFile, 'buffer' | 'path'>,
  length: number,
): Promise<Buffer> {
  if (file.buffer) return file.buffer.subarray(0, length);
  const handle = await open(file.path!, 'r');
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(length), 0, length, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}
