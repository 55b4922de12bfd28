import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { LARGEST_FILE_IN_MEMORY, StoredUpload, UploadStorage } from './upload-storage';

let folder: string;
beforeEach(() => (folder = mkdtempSync(join(tmpdir(), 'upload-storage-'))));
afterEach(() => rmSync(folder, { recursive: true, force: true }));

/** Hands `chunks` to the storage as one file's stream; resolves with what it stored. */
function store(storage: UploadStorage, chunks: Buffer[], error?: Error): Promise<StoredUpload> {
  const stream = new PassThrough();
  const stored = storage.store(stream);
  for (const chunk of chunks) stream.write(chunk);
  if (error) stream.destroy(error);
  else stream.end();
  return stored;
}

const bytes = (length: number, fill: number) => Buffer.alloc(length, fill);

describe('UploadStorage', () => {
  it('keeps a small file in memory, within the budget, until it is released', async () => {
    const storage = new UploadStorage(folder, 1024);
    const stored = await store(storage, [bytes(100, 1), bytes(50, 2)]);

    expect(stored.path).toBeUndefined();
    expect(stored.buffer).toEqual(Buffer.concat([bytes(100, 1), bytes(50, 2)]));
    expect(stored.size).toBe(150);
    expect(storage.bytesInMemory).toBe(150);
    expect(readdirSync(folder)).toEqual([]);

    await storage.release(stored);
    await storage.release(stored);
    expect(storage.bytesInMemory).toBe(0);
  });

  it('writes a file that would pass the budget to a temporary file, all of it, and deletes it on release', async () => {
    const storage = new UploadStorage(folder, 100);
    const first = await store(storage, [bytes(60, 1)]);
    const second = await store(storage, [bytes(30, 2), bytes(30, 3), bytes(30, 4)]);

    expect(first.buffer).toHaveLength(60);
    expect(second.buffer).toBeUndefined();
    expect(second.size).toBe(90);
    expect(readFileSync(second.path!)).toEqual(Buffer.concat([bytes(30, 2), bytes(30, 3), bytes(30, 4)]));
    expect(storage.bytesInMemory).toBe(60);

    await storage.release(second);
    expect(readdirSync(folder)).toEqual([]);
  });

  it(`writes a file over ${LARGEST_FILE_IN_MEMORY} bytes to disk, whatever the budget`, async () => {
    const storage = new UploadStorage(folder, 64 * LARGEST_FILE_IN_MEMORY);
    const chunk = bytes(64 * 1024, 7);
    const chunks = Array.from({ length: LARGEST_FILE_IN_MEMORY / chunk.length + 1 }, () => chunk);
    const stored = await store(storage, chunks);

    expect(stored.buffer).toBeUndefined();
    expect(stored.size).toBe(LARGEST_FILE_IN_MEMORY + chunk.length);
    expect(readFileSync(stored.path!).length).toBe(stored.size);
    expect(storage.bytesInMemory).toBe(0);
  });

  it('gives a failed file its bytes back and leaves no temporary file', async () => {
    const storage = new UploadStorage(folder, 100);
    await expect(store(storage, [bytes(50, 1)], new Error('client went away'))).rejects.toThrow(
      'client went away',
    );
    await expect(store(storage, [bytes(150, 1)], new Error('client went away'))).rejects.toThrow(
      'client went away',
    );
    expect(storage.bytesInMemory).toBe(0);
    expect(readdirSync(folder)).toEqual([]);
  });

  it('writes every upload to disk with a budget of 0', async () => {
    const storage = new UploadStorage(folder, 0);
    const stored = await store(storage, [bytes(10, 1)]);
    expect(stored.buffer).toBeUndefined();
    expect(readFileSync(stored.path!)).toEqual(bytes(10, 1));
  });
});
