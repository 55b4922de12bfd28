import { ChildProcess, spawn, spawnSync, SpawnSyncOptions } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitFor } from './support/control-plane-process';
import { datasetImages, REPO_ROOT } from './support/paths';

function run(command: string, args: string[], options: SpawnSyncOptions): string {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: 240_000, ...options });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`;
  if (result.status !== 0)
    throw new Error(`${command} ${args.join(' ')} exited ${result.status}: ${result.error ?? output}`);
  return output;
}

describe('a clone with no ../shared beside it and no MODEL_MIRROR', () => {
  let dir: string;
  let service: ChildProcess | undefined;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'fresh-clone-'))));
  afterAll(() => {
    // npm start runs the service in a process group of its own: stop all of it.
    if (service?.pid && service.exitCode === null) process.kill(-service.pid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('builds with npm start, finds the committed model, and classifies an image through POST /', async () => {
    const clone = join(dir, 'project');
    run('git', ['clone', '--quiet', REPO_ROOT, clone], {});
    expect(existsSync(join(dir, 'shared'))).toBe(false);
    // The clone shares this checkout's installed packages (npm ci is what the README runs first).
    symlinkSync(join(REPO_ROOT, 'node_modules'), join(clone, 'node_modules'), 'dir');
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(await freePort()) };
    delete env.MODEL_MIRROR;
    delete env.DATASETS_MIRROR;
    env.DATA_DIR = join(dir, 'data');
    const url = `http://127.0.0.1:${env.PORT}`;

    let output = '';
    service = spawn('npm', ['start'], { cwd: clone, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    service.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    service.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<never>((_, reject) =>
      service!.once('exit', (code) => reject(new Error(`npm start exited ${code}:\n${output}`))),
    );
    await Promise.race([
      exited,
      waitFor(
        'the service in the clone to answer',
        async () => ((await fetch(`${url}/health`)).ok ? true : undefined),
        240_000,
        250,
      ),
    ]);

    // Nothing was copied or downloaded: the model and its labels came with the clone.
    expect(output).toContain('mirrors: (none)');
    expect(output).toContain('models/mobilenet_v2_1.0_224_quant/model.onnx already present, sha256 ok');
    expect(output).toContain('models/mobilenet_v2_1.0_224_quant/labels.json already present, sha256 ok');
    const form = new FormData();
    const canoe = datasetImages('ilsvrc2012-val-sample')[0];
    form.append('myfile', new Blob([readFileSync(canoe)]), 'canoe.jpg');
    const answer = await fetch(url, { method: 'POST', body: form });
    expect(answer.status).toBe(200);
    expect(await answer.text()).toBe('canoe');
  }, 300_000);
});
