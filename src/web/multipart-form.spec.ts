import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '../../test/support/control-plane-process';
import {
  BadMultipartError,
  FileTooLargeError,
  MultipartForm,
  MultipartLimits,
  readMultipartForm,
} from './multipart-form';
import { UploadStorage } from './upload-storage';

const LIMITS: MultipartLimits = {
  fileBytes: 1000,
  files: 3,
  parts: 6,
  fields: 2,
  fieldBytes: 16,
  headerPairs: 100,
};

let folder: string;
let storage: UploadStorage;
let server: Server;
let url: string;
/** What the server's last request read, or why it could not. */
let outcome: Promise<MultipartForm>;

beforeEach(async () => {
  folder = mkdtempSync(join(tmpdir(), 'multipart-form-'));
  storage = new UploadStorage(folder, 600);
  let read!: (outcome: { form: MultipartForm } | { error: unknown }) => void;
  const settled = new Promise<{ form: MultipartForm } | { error: unknown }>((resolve) => (read = resolve));
  outcome = settled.then((result) => ('form' in result ? result.form : Promise.reject(result.error)));
  outcome.catch(() => undefined); // the tests look at it once the answer has come
  server = createServer((req: IncomingMessage, res) => {
    readMultipartForm(req, { fileField: 'files', maxFiles: 2, limits: LIMITS, storage }).then(
      (form) => {
        read({ form });
        res.end('read');
      },
      (error: Error) => {
        read({ error });
        res.writeHead(400).end(error.message);
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterEach(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(folder, { recursive: true, force: true });
});

const form = (...parts: Array<[string, string | Blob, string?]>) => {
  const body = new FormData();
  for (const [name, value, fileName] of parts) {
    if (typeof value === 'string') body.append(name, value);
    else body.append(name, value, fileName);
  }
  return body;
};
const file = (bytes: number, fill = 1) => new Blob([Buffer.alloc(bytes, fill)]);

describe('readMultipartForm', () => {
  it('reads the files in the order they came, with their names and bytes, and the text fields', async () => {
    const answer = await fetch(url, {
      method: 'POST',
      body: form(
        ['note', 'a'],
        ['files', file(10, 1), 'one.jpg'],
        ['files', file(20, 2), 'two.jpg'],
        ['note', 'b'],
      ),
    });
    expect(await answer.text()).toBe('read');
    const { files, fields } = await outcome;
    expect(files.map((f) => [f.originalname, f.size, f.buffer?.[0]])).toEqual([
      ['one.jpg', 10, 1],
      ['two.jpg', 20, 2],
    ]);
    expect(fields).toEqual({ note: ['a', 'b'] });
    expect(storage.bytesInMemory).toBe(30);
  });

  it('reads a request of another type as one without files or fields', async () => {
    await fetch(url, { method: 'POST', body: JSON.stringify({ files: 'x' }) });
    expect(await outcome).toEqual({ files: [], fields: {} });
  });

  it.each([
    ['a file in another field', form(['image', file(10), 'x.jpg']), 'Unexpected field "image"'],
    [
      'more files than the route takes',
      form(...[1, 2, 3].map((i) => ['files', file(5), `${i}.jpg`] as [string, Blob, string])),
      'Too many files',
    ],
    ['more fields than the bound', form(['a', '1'], ['b', '2'], ['c', '3']), 'Too many fields'],
    ['a field value over the bound', form(['note', 'x'.repeat(17)]), 'Field value too long'],
  ])('refuses %s with a reason, holding nothing', async (_, body, reason) => {
    const answer = await fetch(url, { method: 'POST', body });
    expect(answer.status).toBe(400);
    await expect(outcome).rejects.toThrow(BadMultipartError);
    await expect(outcome).rejects.toThrow(reason);
    expect(storage.bytesInMemory).toBe(0);
  });

  it('refuses a file over the byte bound as too large, after letting go of the files before it', async () => {
    const answer = await fetch(url, {
      method: 'POST',
      body: form(['files', file(500), 'small.jpg'], ['files', file(1001), 'big.jpg']),
    });
    expect(answer.status).toBe(400);
    await expect(outcome).rejects.toThrow(FileTooLargeError);
    await expect(outcome).rejects.toThrow('"big.jpg"');
    expect(storage.bytesInMemory).toBe(0);
    expect(readdirSync(folder)).toEqual([]);
  });

  it('lets go of what it stored when the client goes away in the middle of a file', async () => {
    // Past the budget of 600 bytes, the file goes on to a temporary file, which must go too.
    const boundary = 'cut-short';
    const client = request(url, {
      method: 'POST',
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
    });
    client.on('error', () => undefined);
    client.write(
      `--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="cut.jpg"\r\n\r\n` +
        'x'.repeat(800),
    );
    await waitFor(
      'the file to pass to a temporary file',
      async () => readdirSync(folder).length || undefined,
      10_000,
      5,
    );
    client.destroy();
    await expect(outcome).rejects.toThrow('went away');
    await waitFor(
      'the temporary file to go',
      async () => readdirSync(folder).length === 0 || undefined,
      10_000,
      5,
    );
    expect(storage.bytesInMemory).toBe(0);
  });
});
