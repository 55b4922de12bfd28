import { mkdir, mkdtemp, open, readdir, rm, stat, writeFile, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describeObjectStoreContract } from '../../object-store/object-store.contract';
import { CorruptObjectError, InvalidObjectKeyError } from '../../object-store/object-store.errors';
import { ObjectStore } from '../../ports/object-store.port';
import { FsObjectStore } from './fs-object-store';
import { objectFileName } from './fs-object-store.paths';

describeObjectStoreContract('FsObjectStore', {
  create: async () => new FsObjectStore({ rootDir: await mkdtemp(join(tmpdir(), 'fs-object-store-')) }),
  dispose: (store) => rm((store as FsObjectStore).rootDir, { recursive: true, force: true }),
});

describe('FsObjectStore on disk', () => {
  let parentDir: string;
  let rootDir: string;
  let store: FsObjectStore;

  beforeEach(async () => {
    parentDir = await mkdtemp(join(tmpdir(), 'fs-object-store-disk-'));
    rootDir = join(parentDir, 'root');
    store = new FsObjectStore({ rootDir });
  });

  afterEach(() => rm(parentDir, { recursive: true, force: true }));

  /** Starts a put whose body stalls after its first chunk, and waits until that chunk is on disk. */
  async function startStalledPut(key: string, directory: string) {
    const body = new PassThrough();
    const putting = store.put(key, body).then(
      () => 'resolved',
      (error: unknown) => error,
    );
    const chunk = Buffer.alloc(64 * 1024, 'n');
    body.write(chunk);
    await pollUntil(async () => {
      const names = await readdir(directory).catch(() => [] as string[]);
      const temporary = names.filter((name) => !name.endsWith('%'));
      const sizes = await Promise.all(
        temporary.map(async (name) => (await stat(join(directory, name))).size),
      );
      return sizes.some((size) => size > chunk.length);
    });
    return { body, putting };
  }

  it('a put in progress stays invisible: this store and another on the same directory see the old version', async () => {
    await store.put('inputs/job-1', Buffer.from('old version'), { contentType: 'text/plain' });
    const { body, putting } = await startStalledPut('inputs/job-1', join(rootDir, 'inputs'));
    for (const reader of [store, new FsObjectStore({ rootDir })]) {
      expect((await reader.get('inputs/job-1')).toString()).toBe('old version');
      expect(await reader.head('inputs/job-1')).toMatchObject({ size: 11, contentType: 'text/plain' });
      expect(await reader.listAll('')).toEqual(['inputs/job-1']);
    }
    body.end(Buffer.from('tail'));
    expect(await putting).toBe('resolved');
  });

  it('a first put in progress is not visible as an object at all', async () => {
    const { body, putting } = await startStalledPut('fresh/key', join(rootDir, 'fresh'));
    const reopened = new FsObjectStore({ rootDir });
    expect(await reopened.head('fresh/key')).toBeNull();
    expect(await reopened.listAll('fresh')).toEqual([]);
    body.end();
    expect(await putting).toBe('resolved');
  });

  it('a put whose body fails removes its temporary file and keeps the previous version', async () => {
    await store.put('outputs/r', Buffer.from('kept'));
    const { body, putting } = await startStalledPut('outputs/r', join(rootDir, 'outputs'));
    body.destroy(new Error('client went away'));
    expect(await putting).toMatchObject({ message: 'client went away' });
    expect(await readdir(join(rootDir, 'outputs'))).toEqual([objectFileName('r')]);
    expect((await store.get('outputs/r')).toString()).toBe('kept');
  });

  it('refused keys create nothing outside the root directory', async () => {
    await mkdir(rootDir);
    const escapes = ['../escape', 'a/../../escape', join(parentDir, 'absolute-escape')];
    for (const key of escapes) {
      await expect(store.put(key, Buffer.from('x'))).rejects.toBeInstanceOf(InvalidObjectKeyError);
    }
    expect(await readdir(parentDir)).toEqual(['root']);
    expect(await readdir(rootDir)).toEqual([]);
  });

  it('refuses a segment that escaping makes longer than a file name may be', async () => {
    await expect(store.put('%'.repeat(100), Buffer.from('x'))).rejects.toBeInstanceOf(InvalidObjectKeyError);
  });

  it('a put whose body fails before it is read rejects without crashing the process', async () => {
    const body = new PassThrough();
    const putting = store.put('early/failure', body);
    body.destroy(new Error('failed at once'));
    await expect(putting).rejects.toThrow('failed at once');
    expect(await store.head('early/failure')).toBeNull();
    expect(await readdir(join(rootDir, 'early')).catch(() => [])).toEqual([]);
  });

  it('reports a foreign file at an object path as CorruptObjectError', async () => {
    await mkdir(rootDir);
    await writeFile(join(rootDir, objectFileName('foreign')), 'not an object');
    await expect(store.get('foreign')).rejects.toBeInstanceOf(CorruptObjectError);
    await expect(store.head('foreign')).rejects.toMatchObject({ code: 'object_corrupt', httpStatus: 500 });
  });

  it('puts into one directory share its fsyncs: those renamed while one runs wait for the next, one for all', async () => {
    await store.put('inputs/first', Buffer.from('first'));
    const handle = await open(join(parentDir, 'probe'), 'w');
    const fileHandle = Object.getPrototypeOf(handle) as { sync(this: FileHandle): Promise<void> };
    await handle.close();
    const realSync = fileHandle.sync;
    const heldDirectorySyncs: Array<() => void> = [];
    const sync = jest.spyOn(fileHandle, 'sync').mockImplementation(async function (this: FileHandle) {
      if (!(await this.stat()).isDirectory()) return realSync.call(this);
      await new Promise<void>((resolve) => heldDirectorySyncs.push(resolve));
      return realSync.call(this);
    });
    try {
      const done: string[] = [];
      const put = (key: string) => store.put(key, Buffer.from(key)).then(() => done.push(key));
      const a = put('inputs/a');
      await pollUntil(async () => heldDirectorySyncs.length === 1);
      const others = [put('inputs/b'), put('inputs/c')];
      const inputs = join(rootDir, 'inputs');
      await pollUntil(async () => {
        const names = await readdir(inputs);
        return ['b', 'c'].every((key) => names.includes(objectFileName(key)));
      });
      // Renamed, and waiting for a directory fsync that begins after their rename.
      await new Promise((resolve) => setImmediate(resolve));
      expect(heldDirectorySyncs).toHaveLength(1);

      heldDirectorySyncs.shift()!();
      await a;
      await pollUntil(async () => heldDirectorySyncs.length === 1);
      expect(done).toEqual(['inputs/a']);
      heldDirectorySyncs.shift()!();
      await Promise.all(others);
      expect(done.sort()).toEqual(['inputs/a', 'inputs/b', 'inputs/c']);
      expect(heldDirectorySyncs).toHaveLength(0);
    } finally {
      sync.mockRestore();
    }
  });

  it('serves as the ObjectStore token type', () => {
    expect(store).toBeInstanceOf(ObjectStore);
  });
});

async function pollUntil(condition: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}
