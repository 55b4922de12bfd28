/** S3's smallest part of a multipart upload, except the last one (5 MiB). */
export const MIN_PART_BYTES = 5 * 1024 * 1024;

/** S3's largest part (5 GiB). */
export const MAX_PART_BYTES = 5 * 1024 * 1024 * 1024;

/** Most parts in one multipart upload. */
export const MAX_PARTS = 10_000;

/**
 * Cuts a byte stream into parts of exactly `partBytes` bytes, the last one shorter, so that at
 * most one part is held in memory. Yields nothing for an empty stream. Leaving the loop early
 * (`return()`) destroys a Readable source.
 */
export async function* readParts(source: AsyncIterable<unknown>, partBytes: number): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  for await (const chunk of source) {
    let bytes = toBuffer(chunk);
    while (pendingBytes + bytes.length >= partBytes) {
      const taken = partBytes - pendingBytes;
      pending.push(bytes.subarray(0, taken));
      yield Buffer.concat(pending, partBytes);
      pending = [];
      pendingBytes = 0;
      bytes = bytes.subarray(taken);
    }
    if (bytes.length > 0) {
      pending.push(bytes);
      pendingBytes += bytes.length;
    }
  }
  if (pendingBytes > 0) yield Buffer.concat(pending, pendingBytes);
}

function toBuffer(chunk: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (typeof chunk === 'string') return Buffer.from(chunk, 'utf8');
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  throw new TypeError(`A body stream must yield bytes or strings, got ${typeof chunk}`);
}
