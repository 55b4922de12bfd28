// Imported only by *.spec.ts files; the reference keeps the production build (no jest types) compiling.
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { DEFAULT_CONTENT_TYPE, ObjectStore } from '../ports/object-store.port';
import { MAX_OBJECT_KEY_BYTES } from './object-key';
import { InvalidObjectKeyError, ObjectNotFoundError } from './object-store.errors';

/** How {@link describeObjectStoreContract} gets a store for each test. */
export interface ObjectStoreContractOptions {
  /** Returns the store one test runs against; called before each test. */
  create: () => ObjectStore | Promise<ObjectStore>;
  /** Releases that store after the test. Default: nothing. */
  dispose?: (store: ObjectStore) => void | Promise<void>;
  /**
   * Largest accepted gap between a reported `lastModified` and this machine's clock. Default:
   * 5 000 ms (S3 rounds to the second, and a network backend's clock may drift).
   */
  clockToleranceMs?: number;
}

/** Keys every backend must refuse, with a readable label for the test name. */
const INVALID_KEYS: Array<[label: string, key: string]> = [
  ['a parent segment', '../x'],
  ['a parent segment in the middle', 'a/../../b'],
  ['a trailing parent segment', 'a/..'],
  ['a current-directory segment', './x'],
  ['an absolute path', '/abs'],
  ['a backslash', 'a\\b'],
  ['a NUL byte', 'a\u0000b'],
  ['a newline', 'a\nb'],
  ['the empty key', ''],
  ['an empty segment', 'a//b'],
  ['a trailing slash', 'a/'],
  ['a key over the byte limit', `${'x'.repeat(200)}/`.repeat(5) + 'y'.repeat(100)],
  ['a lone surrogate', 'a\ud800b'],
];

/**
 * Registers the behaviour every {@link ObjectStore} backend must show, as one jest `describe`.
 * Each test works under its own random prefix and deletes what it wrote, so the suite can run
 * against a shared bucket on a real network backend.
 */
export function describeObjectStoreContract(name: string, options: ObjectStoreContractOptions): void {
  const clockToleranceMs = options.clockToleranceMs ?? 5_000;

  describe(`ObjectStore contract: ${name}`, () => {
    let store: ObjectStore;
    let base: string;
    const key = (relative: string): string => base + relative;

    beforeEach(async () => {
      store = await options.create();
      base = `contract-${randomBytes(6).toString('hex')}/`;
    });

    afterEach(async () => {
      for (const written of await store.listAll(base)) await store.delete(written);
      await options.dispose?.(store);
    });

    describe('put and get', () => {
      it('get returns exactly the bytes that were put', async () => {
        const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
        await store.put(key('all-bytes.bin'), bytes);
        expect(await store.get(key('all-bytes.bin'))).toEqual(bytes);
      });

      it('stores an empty object', async () => {
        await store.put(key('empty'), Buffer.alloc(0));
        expect(await store.get(key('empty'))).toEqual(Buffer.alloc(0));
        expect((await store.head(key('empty')))?.size).toBe(0);
      });

      it('accepts a Readable body made of several chunks', async () => {
        const chunks = [randomBytes(700_001), randomBytes(1), randomBytes(350_000)];
        await store.put(key('chunks.bin'), Readable.from(chunks), { contentType: 'image/png' });
        expect(sha256(await store.get(key('chunks.bin')))).toBe(sha256(Buffer.concat(chunks)));
      });

      it('putting a key again replaces its bytes and content type', async () => {
        await store.put(key('photo'), Buffer.from('first version'), { contentType: 'image/png' });
        await store.put(key('photo'), Buffer.from('second'), { contentType: 'image/jpeg' });
        expect((await store.get(key('photo'))).toString()).toBe('second');
        expect(await store.head(key('photo'))).toMatchObject({ size: 6, contentType: 'image/jpeg' });
      });

      it('concurrent puts to one key leave one complete version', async () => {
        const versions = Array.from({ length: 8 }, (_, i) => Buffer.alloc(64 * 1024 + i, i));
        await Promise.all(versions.map((bytes) => store.put(key('contended'), bytes)));
        const stored = await store.get(key('contended'));
        expect(versions.some((bytes) => bytes.equals(stored))).toBe(true);
      });

      it('keeps keys with spaces, percent signs and non-ASCII characters as they are', async () => {
        const odd = ['a b/c%20d.jpg', '100%/x%', 'café/日本語.png', 'emoji/😀', '%25/%'].map(key);
        for (const [i, each] of odd.entries()) await store.put(each, Buffer.from(`value ${i}`));
        for (const [i, each] of odd.entries()) expect((await store.get(each)).toString()).toBe(`value ${i}`);
        expect(await store.listAll(base)).toEqual(sortByUtf8(odd));
      });

      it('accepts a key of exactly the byte limit', async () => {
        const room = MAX_OBJECT_KEY_BYTES - Buffer.byteLength(base);
        const segments: string[] = [];
        for (let used = 0; room - used > 0; used += 201)
          segments.push('k'.repeat(Math.min(200, room - used)));
        const longest = key(segments.join('/'));
        expect(Buffer.byteLength(longest)).toBe(MAX_OBJECT_KEY_BYTES);
        await store.put(longest, Buffer.from('long'));
        expect((await store.get(longest)).toString()).toBe('long');
      });
    });

    describe('getStream', () => {
      it('streams back a large object byte for byte', async () => {
        const bytes = randomBytes(3 * 1024 * 1024 + 17);
        await store.put(key('large.bin'), bytes);
        const streamed = await collect(await store.getStream(key('large.bin')));
        expect(sha256(streamed)).toBe(sha256(bytes));
      });

      it('rejects a missing key with ObjectNotFoundError before streaming', async () => {
        await expectError(store.getStream(key('missing')), ObjectNotFoundError, {
          code: 'object_not_found',
          httpStatus: 404,
          key: key('missing'),
        });
      });
    });

    describe('head', () => {
      it('reports size, content type and a current lastModified', async () => {
        const before = Date.now();
        await store.put(key('info.jpg'), Buffer.from('12345'), { contentType: 'image/jpeg' });
        const after = Date.now();
        const info = await store.head(key('info.jpg'));
        expect(info).toMatchObject({ size: 5, contentType: 'image/jpeg' });
        expect(info?.lastModified).toBeInstanceOf(Date);
        expect(info?.lastModified.getTime()).toBeGreaterThanOrEqual(before - clockToleranceMs);
        expect(info?.lastModified.getTime()).toBeLessThanOrEqual(after + clockToleranceMs);
      });

      it(`reports ${DEFAULT_CONTENT_TYPE} when put named no content type`, async () => {
        await store.put(key('untyped'), Buffer.from('x'));
        expect((await store.head(key('untyped')))?.contentType).toBe(DEFAULT_CONTENT_TYPE);
      });

      it('returns null for a missing key', async () => {
        expect(await store.head(key('missing'))).toBeNull();
      });
    });

    describe('get', () => {
      it('rejects a missing key with ObjectNotFoundError (404)', async () => {
        await expectError(store.get(key('missing')), ObjectNotFoundError, {
          code: 'object_not_found',
          httpStatus: 404,
          key: key('missing'),
        });
      });
    });

    describe('delete', () => {
      it('removes the object', async () => {
        await store.put(key('doomed'), Buffer.from('x'));
        await store.delete(key('doomed'));
        expect(await store.head(key('doomed'))).toBeNull();
        await expectError(store.get(key('doomed')), ObjectNotFoundError);
        expect(await store.listAll(base)).toEqual([]);
      });

      it('succeeds for a missing key, and twice in a row', async () => {
        await store.put(key('once'), Buffer.from('x'));
        await store.delete(key('once'));
        await expect(store.delete(key('once'))).resolves.toBeUndefined();
        await expect(store.delete(key('never-written'))).resolves.toBeUndefined();
      });
    });

    describe('list', () => {
      const layout = ['inputs/a.jpg', 'inputs/b/c.jpg', 'inputs-old/x', 'outputs/a.json', 'inputs.txt'];

      beforeEach(async () => {
        for (const each of layout) await store.put(key(each), Buffer.from(each));
      });

      it('yields only the keys under a prefix, in ascending byte order', async () => {
        expect(await store.listAll(key('inputs/'))).toEqual([key('inputs/a.jpg'), key('inputs/b/c.jpg')]);
        expect(await store.listAll(base)).toEqual(sortByUtf8(layout.map(key)));
      });

      it('matches a prefix that ends inside a segment', async () => {
        expect(await store.listAll(key('inputs'))).toEqual(
          sortByUtf8(['inputs/a.jpg', 'inputs/b/c.jpg', 'inputs-old/x', 'inputs.txt'].map(key)),
        );
        expect(await store.listAll(key('inputs/b'))).toEqual([key('inputs/b/c.jpg')]);
      });

      it('treats keys as flat: "a" and "a/b" are two objects', async () => {
        await store.put(key('outputs'), Buffer.from('file'));
        expect((await store.get(key('outputs'))).toString()).toBe('file');
        expect((await store.get(key('outputs/a.json'))).toString()).toBe('outputs/a.json');
        expect(await store.listAll(key('outputs'))).toEqual([key('outputs'), key('outputs/a.json')]);
      });

      it('yields nothing for a prefix with no objects', async () => {
        expect(await store.listAll(key('nothing-here/'))).toEqual([]);
      });

      it('does not yield deleted keys', async () => {
        await store.delete(key('inputs/b/c.jpg'));
        expect(await store.listAll(key('inputs/'))).toEqual([key('inputs/a.jpg')]);
      });

      it.each([['../'], ['a/../b'], ['/abs'], ['a\u0000'], ['a\\b']])(
        'refuses the prefix %j',
        async (prefix) => {
          await expectError(store.listAll(prefix), InvalidObjectKeyError, { httpStatus: 400 });
        },
      );
    });

    describe('invalid keys', () => {
      it.each(INVALID_KEYS)('put, get, getStream, head and delete refuse %s', async (_label, invalid) => {
        const expected = { code: 'invalid_object_key', httpStatus: 400, key: invalid };
        await expectError(store.put(invalid, Buffer.from('x')), InvalidObjectKeyError, expected);
        await expectError(store.get(invalid), InvalidObjectKeyError, expected);
        await expectError(store.getStream(invalid), InvalidObjectKeyError, expected);
        await expectError(store.head(invalid), InvalidObjectKeyError, expected);
        await expectError(store.delete(invalid), InvalidObjectKeyError, expected);
      });
    });
  });
}

async function expectError(
  pending: Promise<unknown>,
  type: abstract new (...args: never[]) => Error,
  fields: Record<string, unknown> = {},
): Promise<void> {
  const error = await pending.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(type);
  expect(error).toMatchObject(fields);
}

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks);
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function sortByUtf8(keys: string[]): string[] {
  return [...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}
