import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { holdFlushes, turnUntil } from '../../../test/support/held-flushes';
import { describeObjectStoreContract } from '../../object-store/object-store.contract';
import { SqliteObjectStore } from './sqlite-object-store';

const folders = new Map<SqliteObjectStore, string>();

describeObjectStoreContract('SqliteObjectStore', {
  create: async () => {
    const folder = await mkdtemp(join(tmpdir(), 'sqlite-object-store-'));
    // A small inline limit, so that the contract's larger objects take the file path too.
    const store = new SqliteObjectStore({ file: join(folder, 'objects.db'), inlineLimitBytes: 64 * 1024 });
    folders.set(store, folder);
    return store;
  },
  dispose: async (store) => {
    await (store as SqliteObjectStore).close();
    await rm(folders.get(store as SqliteObjectStore)!, { recursive: true, force: true });
  },
});

describe('SqliteObjectStore on disk', () => {
  const INLINE_LIMIT = 1024;
  let folder: string;
  let file: string;
  let largeDir: string;
  const opened: SqliteObjectStore[] = [];
  const openStore = () => {
    const store = new SqliteObjectStore({ file, inlineLimitBytes: INLINE_LIMIT });
    opened.push(store);
    return store;
  };

  beforeEach(async () => {
    folder = await mkdtemp(join(tmpdir(), 'sqlite-object-store-disk-'));
    file = join(folder, 'objects.db');
    largeDir = `${file}-large`;
  });

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((store) => store.close()));
    await rm(folder, { recursive: true, force: true });
  });

  const largeFiles = () => readdir(largeDir).catch(() => [] as string[]);

  it('keeps a small body in the database and a larger one in a file of its own', async () => {
    const store = openStore();
    await store.put('inputs/small', randomBytes(INLINE_LIMIT));
    expect(await largeFiles()).toEqual([]);
    const large = randomBytes(INLINE_LIMIT + 1);
    await store.put('inputs/large', large);
    expect(await largeFiles()).toHaveLength(1);
    expect(await store.get('inputs/large')).toEqual(large);
  });

  it('writes a streamed body to a file of its own, however small: its caller chose not to hold it', async () => {
    const store = openStore();
    await store.put('inputs/streamed', Readable.from([randomBytes(300), randomBytes(300)]));
    expect(await largeFiles()).toHaveLength(1);
    expect((await store.get('inputs/streamed')).length).toBe(600);
    expect((await store.head('inputs/streamed'))?.size).toBe(600);
  });

  it('removes the file of a version once it is replaced or deleted', async () => {
    const store = openStore();
    await store.put('outputs/a', randomBytes(INLINE_LIMIT * 2));
    const [first] = await largeFiles();
    await store.put('outputs/a', randomBytes(INLINE_LIMIT * 3));
    const [second] = await largeFiles();
    expect(second).not.toBe(first);
    expect(await largeFiles()).toHaveLength(1);
    await store.put('outputs/a', Buffer.from('small now'));
    expect(await largeFiles()).toEqual([]);
    await store.put('outputs/b', randomBytes(INLINE_LIMIT * 2));
    await store.delete('outputs/b');
    expect(await largeFiles()).toEqual([]);
  });

  it('a stream opened before its object is replaced yields the old version whole', async () => {
    const store = openStore();
    const old = randomBytes(INLINE_LIMIT * 4);
    await store.put('inputs/x', old);
    const stream = await store.getStream('inputs/x');
    await store.put('inputs/x', randomBytes(INLINE_LIMIT * 4));
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks)).toEqual(old);
  });

  it('another connection (another process) on the same file sees what one wrote', async () => {
    const writer = openStore();
    const reader = openStore();
    const large = randomBytes(INLINE_LIMIT * 2);
    await writer.put('inputs/small', Buffer.from('hello'), { contentType: 'text/plain' });
    await writer.put('inputs/large', large);
    expect((await reader.get('inputs/small')).toString()).toBe('hello');
    expect(await reader.get('inputs/large')).toEqual(large);
    expect(await reader.head('inputs/small')).toMatchObject({ size: 5, contentType: 'text/plain' });
    expect(await reader.listAll('inputs/')).toEqual(['inputs/large', 'inputs/small']);
  });

  /** Starts a streamed put of `key` and waits until its first chunk is in its file; the body stays open. */
  async function startStreamedPut(store: SqliteObjectStore, key: string) {
    const body = new PassThrough();
    const putting = store.put(key, body);
    body.write(randomBytes(INLINE_LIMIT * 2));
    await turnUntil(async () => (await largeFiles()).length === 1, 'the body written to its file');
    return { body, putting };
  }

  it('a put in progress stays invisible until its body has ended and its row committed', async () => {
    const store = openStore();
    await store.put('inputs/job-1', Buffer.from('old version'));
    const { body, putting } = await startStreamedPut(store, 'inputs/job-1');
    expect((await openStore().get('inputs/job-1')).toString()).toBe('old version');
    body.end(randomBytes(10));
    await putting;
    expect((await store.get('inputs/job-1')).length).toBe(INLINE_LIMIT * 2 + 10);
  });

  it('acknowledges a put only once its commit is flushed to disk', async () => {
    const store = openStore();
    const flushes = holdFlushes();
    try {
      let acknowledged = false;
      const putting = store.put('inputs/held', Buffer.from('bytes')).then(() => (acknowledged = true));
      await turnUntil(() => flushes.held() > 0, 'the flush started');
      expect(acknowledged).toBe(false);
      flushes.release();
      await putting;
      expect(acknowledged).toBe(true);
    } finally {
      flushes.restore();
    }
  });

  it('a failed streamed body leaves no file and the old version in place', async () => {
    const store = openStore();
    await store.put('inputs/y', Buffer.from('kept'));
    const { body, putting } = await startStreamedPut(store, 'inputs/y');
    body.destroy(new Error('the client went away'));
    await expect(putting).rejects.toThrow('the client went away');
    expect(await largeFiles()).toEqual([]);
    expect((await store.get('inputs/y')).toString()).toBe('kept');
  });

  it('sweeps files no object names once they are old enough, and only those', async () => {
    const store = openStore();
    await store.put('inputs/named', randomBytes(INLINE_LIMIT * 2));
    const [named] = await largeFiles();
    const orphan = join(largeDir, 'left-by-a-killed-writer');
    const recent = join(largeDir, 'being-written-now');
    await writeFile(orphan, 'partial');
    await writeFile(recent, 'partial');
    const twoHoursAgo = new Date(Date.now() - 2 * 60 * 60_000);
    await utimes(orphan, twoHoursAgo, twoHoursAgo);
    await utimes(join(largeDir, named), twoHoursAgo, twoHoursAgo);

    expect(await store.sweepOrphanFiles(60 * 60_000)).toBe(1);
    expect((await largeFiles()).sort()).toEqual([named, 'being-written-now'].sort());
  });
});
