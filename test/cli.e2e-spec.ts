import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { FileResult } from '../src/cli/classify';
import { ControlPlaneProcess, freePort, waitFor } from './support/control-plane-process';
import { datasetImages, REPO_ROOT } from './support/paths';
import { track } from './support/spawned';

const EIR = join(REPO_ROOT, 'scripts', 'eir.js');
const IMAGES = datasetImages('ilsvrc2012-val-sample');

/** `eir` as a process of its own, its output gathered. */
function eir(args: string[]): {
  child: ChildProcess;
  stdout: string[];
  stderr: string[];
  code: Promise<number | null>;
} {
  const child = track(spawn(process.execPath, [EIR, ...args], { stdio: ['ignore', 'pipe', 'pipe'] }));
  const stdout: string[] = [];
  const stderr: string[] = [];
  child.stdout!.on('data', (chunk: Buffer) => stdout.push(chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
  const code = new Promise<number | null>((resolve) => child.once('exit', (exitCode) => resolve(exitCode)));
  return { child, stdout, stderr, code };
}

/** A folder of the sample's images `from` to `to` (a subfolder holding some), plus what is given. */
function imageFolder(
  root: string,
  name: string,
  [from, to]: [number, number],
  extra: Record<string, string> = {},
): string {
  const folder = join(root, name);
  mkdirSync(join(folder, 'more'), { recursive: true });
  IMAGES.slice(from, to).forEach((image, i) =>
    copyFileSync(image, join(folder, i % 3 === 0 ? 'more' : '', basename(image))),
  );
  for (const [file, content] of Object.entries(extra)) writeFileSync(join(folder, file), content);
  return folder;
}

describe('the command-line client, eir, against a real service', () => {
  let dataDir: string;
  let work: string;
  let plane: ControlPlaneProcess;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'cli-data-'));
    work = mkdtempSync(join(tmpdir(), 'cli-images-'));
    plane = new ControlPlaneProcess(dataDir, await freePort(), { MIN_WORKERS: '1', MAX_WORKERS: '2' });
    await plane.start();
    await plane.workersRunning(1);
  });
  afterAll(async () => {
    await plane?.stop();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  });

  const jobsByFileName = async () => {
    const page = (await (await fetch(`${plane.url}/api/jobs?limit=500`)).json()) as {
      items: Array<{ fileName: string }>;
    };
    const counts = new Map<string, number>();
    for (const { fileName } of page.items) counts.set(fileName, (counts.get(fileName) ?? 0) + 1);
    return counts;
  };

  it('classifies a folder, subfolders too, and names each file without a label with its reason', async () => {
    const folder = imageFolder(work, 'first', [0, 8], {
      'broken.jpg': 'not an image',
      'notes.txt': 'skipped',
    });
    const run = eir(['classify', folder, '--json', '--url', plane.url]);
    expect(await run.code).toBe(1);

    const results = JSON.parse(run.stdout.join('')) as FileResult[];
    expect(results).toHaveLength(9);
    const broken = results.find((r) => r.file.endsWith('broken.jpg'))!;
    expect(broken).toMatchObject({ status: 'refused' });
    expect(broken.error).toMatch(/^[a-z_]+: \S/);
    const labelled = results.filter((r) => r !== broken);
    for (const result of labelled) {
      expect(result.status).toBe('reported');
      expect(result.label).toEqual(expect.any(String));
      expect(result.probability).toBeGreaterThan(0);
    }
    expect(results.filter((r) => r.file.includes('/more/'))).toHaveLength(3);
    // Progress as plain lines (stderr is no terminal here), then the summary.
    const stderr = run.stderr.join('');
    expect(stderr).toMatch(/^1\/9 /m);
    expect(stderr).toMatch(/^9\/9 /m);
    expect(stderr).toMatch(/^9 images in [\d.]+ s \([\d.]+ images\/s\): 8 labelled, 1 without a label$/m);
    expect(stderr).toContain(`${broken.file}: refused: ${broken.error}`);
  });

  it('takes up where an interrupted run stopped: no file becomes a second job', async () => {
    const folder = imageFolder(work, 'resumed', [8, 24]);
    const first = eir(['classify', folder, '--csv', '--concurrency', '2', '--url', plane.url]);
    await waitFor('three files done', async () =>
      /^3\/16 /m.test(first.stderr.join('')) ? true : undefined,
    );
    first.child.kill('SIGKILL');
    await first.code;

    const second = eir(['classify', folder, '--csv', '--url', plane.url]);
    expect(await second.code).toBe(0);
    const rows = second.stdout.join('').trim().split('\n');
    expect(rows[0]).toBe('file,jobId,status,label,probability,error');
    expect(rows.slice(1).every((row) => row.split(',')[2] === 'reported')).toBe(true);
    expect(rows).toHaveLength(17);
    expect(second.stderr.join('')).toMatch(
      /16 labelled, 0 without a label; ([3-9]|1[0-6]) from an earlier run/,
    );
    const names = IMAGES.slice(8, 24).map((image) => basename(image));
    const counts = await jobsByFileName();
    expect(names.map((name) => counts.get(name))).toEqual(names.map(() => 1));
  });

  it('shows a job and the fleet as JSON', async () => {
    const [id] = (
      (await (await fetch(`${plane.url}/api/jobs?limit=1`)).json()) as { items: [{ id: string }] }
    ).items.map((job) => job.id);
    const status = eir(['status', id, '--url', plane.url]);
    expect(await status.code).toBe(0);
    expect(JSON.parse(status.stdout.join(''))).toMatchObject({ id, status: 'reported' });

    const fleet = eir(['fleet', '--url', plane.url]);
    expect(await fleet.code).toBe(0);
    expect(JSON.parse(fleet.stdout.join(''))).toMatchObject({ workers: expect.any(Array) });

    const unknown = eir(['status', 'no-such-job', '--url', plane.url]);
    expect(await unknown.code).toBe(1);
    expect(unknown.stderr.join('')).toMatch(/^eir: 404 /);
  });

  it('refuses a command line it cannot run, with the usage (exit code 2)', async () => {
    const run = eir(['classify', '--concurrency', '0', work]);
    expect(await run.code).toBe(2);
    expect(run.stderr.join('')).toContain('--concurrency must be a whole number from 1 to 64');
    expect(run.stderr.join('')).toContain('Usage:');
  });

  it('draws a progress bar with its rate and ETA on a terminal (tmux)', async () => {
    const folder = imageFolder(work, 'terminal', [24, 30]);
    const tmux = process.env.TMUX_PATH ?? 'tmux';
    const socket = `eir-test-${process.pid}`;
    const command = `${process.execPath} ${EIR} classify ${folder} --url ${plane.url}; echo "exit $?"; sleep 60`;
    const tmuxSession = (...args: string[]) => spawnSync(tmux, ['-L', socket, ...args], { encoding: 'utf8' });
    expect(tmuxSession('new-session', '-d', '-s', 'eir', '-x', '160', '-y', '30', command).status).toBe(0);
    try {
      const screen = await waitFor('the run to end in the terminal', async () => {
        const { stdout } = tmuxSession('capture-pane', '-p', '-t', 'eir');
        return /^exit \d+$/m.test(stdout) ? stdout : undefined;
      });
      expect(screen).toMatch(/classifying \[[█░]+\] 6\/6 \| [\d.]+ images\/s \| ETA /);
      expect(screen).toMatch(/^6 images in [\d.]+ s \([\d.]+ images\/s\): 6 labelled, 0 without a label/m);
      expect(screen).toMatch(/^exit 0$/m);
      // No plain progress lines on a terminal: the bar replaced them.
      expect(screen).not.toMatch(/^1\/6 /m);
    } finally {
      tmuxSession('kill-server');
    }
  });
});
