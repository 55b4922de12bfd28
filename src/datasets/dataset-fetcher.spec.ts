import { createHash, randomBytes } from 'node:crypto';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { findRepoRoot } from '../models/model-sources';
import {
  DatasetFetchError,
  datasetManifestsDir,
  defaultDatasetMirrorDirs,
  fetchDataset,
} from './dataset-fetcher';
import { Dataset, DatasetManifestError, loadAllDatasets, parseSha256Sums } from './dataset-manifest';

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const contents = new Map(['a.jpg', 'b.jpg', 'c.jpg'].map((name) => [name, randomBytes(5_000)]));

let server: Server;
let baseUrl: string;
let requests: string[];
let scratch: string;
/** When set, the server answers b.jpg with other bytes. */
let serveWrongB = false;

beforeAll(async () => {
  server = createServer((req, res) => {
    requests.push(req.url!);
    const body = contents.get(decodeURIComponent(req.url!.replace('/files/', '')));
    if (req.url === '/files/b.jpg' && serveWrongB) return res.end(randomBytes(10));
    if (!body) return res.writeHead(404).end();
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));
beforeEach(async () => {
  requests = [];
  scratch = await mkdtemp(path.join(tmpdir(), 'datasets-'));
});
afterEach(() => rm(scratch, { recursive: true, force: true }));

function dataset(urlTemplate = `${baseUrl}/files/{file}`): Dataset {
  return {
    id: 'tiny',
    description: 'three files',
    folder: 'images',
    urlTemplate,
    licence: 'test',
    provenance: 'test',
    manifestDir: scratch,
    files: [...contents].map(([name, bytes]) => ({ name, sha256: sha256(bytes) })),
  };
}

/** A mirror laid out like ../shared/datasets, with `except` left out and `corrupt` altered. */
async function mirror(options: { except?: string; corrupt?: string } = {}): Promise<string> {
  const dir = path.join(scratch, 'mirror');
  await mkdir(path.join(dir, 'tiny', 'images'), { recursive: true });
  for (const [name, bytes] of contents) {
    if (name === options.except) continue;
    const written = name === options.corrupt ? Buffer.concat([bytes, Buffer.from('x')]) : bytes;
    await writeFile(path.join(dir, 'tiny', 'images', name), written);
  }
  return dir;
}

const cacheDir = () => path.join(scratch, 'cache');

describe('fetchDataset', () => {
  it('copies every file from the mirror into the cache, verified, and finds them present the next time', async () => {
    const mirrorDir = await mirror();
    const first = await fetchDataset(dataset(), { cacheDir: cacheDir(), mirrorDirs: [mirrorDir] });

    expect(first.dir).toBe(path.join(cacheDir(), 'tiny', 'images'));
    expect(first.files.map((f) => f.origin)).toEqual(['mirror', 'mirror', 'mirror']);
    for (const [name, bytes] of contents) expect(await readFile(path.join(first.dir, name))).toEqual(bytes);
    const second = await fetchDataset(dataset(), { cacheDir: cacheDir(), mirrorDirs: [] });
    expect(second.files.map((f) => f.origin)).toEqual(['present', 'present', 'present']);
    expect(requests).toEqual([]);
  });

  it('downloads from the pinned URL what the mirror lacks or has wrong', async () => {
    const mirrorDir = await mirror({ except: 'a.jpg', corrupt: 'b.jpg' });
    const fetched = await fetchDataset(dataset(), { cacheDir: cacheDir(), mirrorDirs: [mirrorDir] });

    expect(fetched.files.map((f) => f.origin)).toEqual(['download', 'download', 'mirror']);
    expect(requests.sort()).toEqual(['/files/a.jpg', '/files/b.jpg']);
    expect(await readFile(path.join(fetched.dir, 'b.jpg'))).toEqual(contents.get('b.jpg'));
  });

  it('fails at once, naming the file, the sources tried and DATASETS_MIRROR, when no source has it', async () => {
    const unreachable = 'http://127.0.0.1:1/{file}';
    const error = await fetchDataset(dataset(unreachable), {
      cacheDir: cacheDir(),
      mirrorDirs: [path.join(scratch, 'no-such-mirror')],
      concurrency: 1,
    }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(DatasetFetchError);
    expect(error).toMatchObject({ datasetId: 'tiny', file: 'a.jpg', total: 3 });
    const message = (error as Error).message;
    expect(message).toContain('no-such-mirror');
    expect(message).toContain('http://127.0.0.1:1/a.jpg');
    expect(message).toContain('DATASETS_MIRROR');
    // It stopped at the first missing file, and left nothing behind.
    expect((error as DatasetFetchError).attempts).toHaveLength(2);
    expect(await readdir(path.join(cacheDir(), 'tiny', 'images'))).toEqual([]);
  });

  it('keeps nothing a URL served with the wrong sha256', async () => {
    serveWrongB = true;
    try {
      const error = await fetchDataset(dataset(), { cacheDir: cacheDir(), mirrorDirs: [] }).catch(
        (e: unknown) => e,
      );
      expect(error).toMatchObject({ file: 'b.jpg' });
      expect((error as Error).message).toContain('sha256 mismatch');
      expect(await readdir(path.join(cacheDir(), 'tiny', 'images'))).not.toContain('b.jpg');
    } finally {
      serveWrongB = false;
    }
  });

  it('looks in DATASETS_MIRROR first, then in ../shared/datasets beside the repository', async () => {
    const clone = path.join(scratch, 'clone');
    await mkdir(clone);
    expect(defaultDatasetMirrorDirs(clone, {})).toEqual([]);
    await mkdir(path.join(scratch, 'shared', 'datasets'), { recursive: true });
    const shared = path.join(scratch, 'shared', 'datasets');
    expect(defaultDatasetMirrorDirs(clone, { DATASETS_MIRROR: 'm' })).toEqual([path.resolve('m'), shared]);
  });
});

describe('the datasets the tests use', () => {
  it('each have a manifest with a URL at a pinned commit, a licence, and a SHA256SUMS of plain file names', async () => {
    const datasets = await loadAllDatasets(datasetManifestsDir(findRepoRoot(__dirname)));

    expect(datasets.map((d) => [d.id, d.files.length])).toEqual([
      ['cse546-imagenet-100', 100],
      ['ilsvrc2012-val-sample', 300],
      ['sample-photos', 6],
    ]);
    for (const d of datasets) expect(d.urlTemplate).toMatch(/\/[0-9a-f]{40}\//);
  });

  it('refuses a SHA256SUMS line that is not "<sha256>  <file name>", or names a path', () => {
    const good = `${'a'.repeat(64)}  x.jpg`;
    expect(parseSha256Sums(`${good}\n`, 'S')).toEqual([{ name: 'x.jpg', sha256: 'a'.repeat(64) }]);
    expect(() => parseSha256Sums(`${'a'.repeat(64)}  ../x.jpg`, 'S')).toThrow(DatasetManifestError);
    expect(() => parseSha256Sums('abc  x.jpg', 'S')).toThrow('line 1');
    expect(() => parseSha256Sums('', 'S')).toThrow('lists no files');
  });
});
