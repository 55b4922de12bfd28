import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** The bytes a file must have. */
export interface ExpectedContent {
  sha256: string;
  /** Size in bytes, when known (a `SHA256SUMS` list has none): a wrong file is then cut short early. */
  size?: number;
}

/** The bytes did not match: wrong size or wrong sha256. Nothing was written. */
export class ContentMismatch extends Error {
  /** @param actual what arrived, or `tooLong` when the stream was cut off past the expected size */
  constructor(
    readonly expected: ExpectedContent,
    readonly actual: Required<ExpectedContent> | 'tooLong',
  ) {
    super(
      actual === 'tooLong'
        ? `size mismatch: expected ${expected.size} bytes, got more`
        : expected.size !== undefined && actual.size !== expected.size
          ? `size mismatch: expected ${expected.size} bytes, got ${actual.size}`
          : `sha256 mismatch: expected ${expected.sha256}, got ${actual.sha256}`,
    );
  }
}

/** sha256 (lower-case hex) and size of a file. */
export async function hashFile(filePath: string): Promise<Required<ExpectedContent>> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(filePath)) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), size };
}

/**
 * Whether `filePath` is `missing`, `valid` (exactly the expected bytes) or `invalid`. The size is
 * compared first, so a wrong file is usually rejected without reading it.
 */
export async function checkContent(
  filePath: string,
  expected: ExpectedContent,
): Promise<'missing' | 'valid' | 'invalid'> {
  const stats = await stat(filePath).catch(() => undefined);
  if (!stats) return 'missing';
  if (!stats.isFile() || (expected.size !== undefined && stats.size !== expected.size)) return 'invalid';
  return (await hashFile(filePath)).sha256 === expected.sha256 ? 'valid' : 'invalid';
}

/**
 * Streams `source` into a temporary file beside `destPath`, hashing as it goes, and renames it onto
 * `destPath` only when size and sha256 match. On any failure the temporary file is removed, so
 * `destPath` either keeps its previous content or gets exactly the expected bytes.
 *
 * @throws ContentMismatch when the bytes differ (a stream longer than expected is cut short).
 */
export async function writeVerified(
  source: Readable | AsyncIterable<Uint8Array>,
  destPath: string,
  expected: ExpectedContent,
): Promise<void> {
  const tempPath = `${destPath}.${process.pid}.${randomBytes(4).toString('hex')}.part`;
  const hash = createHash('sha256');
  let size = 0;
  const meter = new Transform({
    transform(chunk: Uint8Array, _encoding, done) {
      size += chunk.length;
      // No point storing megabytes past the expected size: the result is wrong already.
      if (expected.size !== undefined && size > expected.size)
        return done(new ContentMismatch(expected, 'tooLong'));
      hash.update(chunk);
      done(null, chunk);
    },
  });
  try {
    await pipeline(source, meter, createWriteStream(tempPath, { flags: 'wx' }));
    const actual = { sha256: hash.digest('hex'), size };
    if ((expected.size !== undefined && actual.size !== expected.size) || actual.sha256 !== expected.sha256) {
      throw new ContentMismatch(expected, actual);
    }
    await rename(tempPath, destPath);
  } catch (error) {
    await rm(tempPath, { force: true });
    throw error;
  }
}
