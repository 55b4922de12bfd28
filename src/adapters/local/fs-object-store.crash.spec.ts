import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { FsObjectStore } from './fs-object-store';
import { objectFileName } from './fs-object-store.paths';

const REPOSITORY_ROOT = resolve(__dirname, '../../..');
const CHUNK_BYTES = 64 * 1024;

/**
 * Node code for a writer process: compiles the adapter with the repository's .swcrc, starts a put
 * of `key` whose body sends one chunk and then stalls, so the process is mid-write when killed.
 */
function stalledWriterScript(rootDir: string, key: string): string {
  return `
    const { transformSync } = require('@swc/core');
    const { readFileSync } = require('node:fs');
    require.extensions['.ts'] = (module, filename) => {
      const { code } = transformSync(readFileSync(filename, 'utf8'), { filename, configFile: ${JSON.stringify(join(REPOSITORY_ROOT, '.swcrc'))} });
      module._compile(code, filename);
    };
    const { FsObjectStore } = require(${JSON.stringify(join(__dirname, 'fs-object-store.ts'))});
    const body = new (require('node:stream').PassThrough)();
    new FsObjectStore({ rootDir: ${JSON.stringify(rootDir)} }).put(${JSON.stringify(key)}, body);
    body.write(Buffer.alloc(${CHUNK_BYTES}, 'n'));
    setInterval(() => {}, 60000);
  `;
}

describe('FsObjectStore after a writer is killed mid-write', () => {
  let rootDir: string;

  beforeEach(async () => {
    rootDir = await mkdtemp(join(tmpdir(), 'fs-object-store-crash-'));
  });

  afterEach(() => rm(rootDir, { recursive: true, force: true }));

  it('a restarted store sees only the previous version, and never the partial file', async () => {
    const before = new FsObjectStore({ rootDir });
    await before.put('inputs/job-1', Buffer.from('old version'), { contentType: 'text/plain' });

    const writer = spawn(process.execPath, ['-e', stalledWriterScript(rootDir, 'inputs/job-1')], {
      cwd: REPOSITORY_ROOT,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    writer.stderr.on('data', (chunk) => (stderr += chunk));
    const exited = new Promise<string | null>((done) => writer.once('exit', (_code, signal) => done(signal)));
    const directory = join(rootDir, 'inputs');
    const partialFile = async (): Promise<string | undefined> => {
      for (const name of await readdir(directory)) {
        if (name !== objectFileName('job-1') && (await stat(join(directory, name))).size > CHUNK_BYTES)
          return name;
      }
      return undefined;
    };
    await pollUntil(
      async () => (await partialFile()) !== undefined,
      () => stderr,
    );
    writer.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');

    // The partial file is still on disk, which is exactly what must stay invisible.
    expect(await partialFile()).toBeDefined();
    const restarted = new FsObjectStore({ rootDir });
    expect((await restarted.get('inputs/job-1')).toString()).toBe('old version');
    expect(await restarted.head('inputs/job-1')).toMatchObject({ size: 11, contentType: 'text/plain' });
    expect(await restarted.listAll('')).toEqual(['inputs/job-1']);

    // A sweep leaves a temporary file that could still be a put in progress, and removes it once old.
    expect(await restarted.sweepTemporaryFiles(60 * 60_000)).toBe(0);
    expect(await partialFile()).toBeDefined();
    expect(await restarted.sweepTemporaryFiles(0)).toBe(1);
    expect(await partialFile()).toBeUndefined();
    expect((await restarted.get('inputs/job-1')).toString()).toBe('old version');
  });
});

async function pollUntil(condition: () => Promise<boolean>, context: () => string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`writer never got mid-write; its stderr:\n${context()}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
