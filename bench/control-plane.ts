import { ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { findRepoRoot } from '../src/models/model-sources';

/** Benchmark helpers: the built control plane as a process of its own, and waiting on it. */

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A free TCP port on loopback. */
export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** A control plane started by {@link startControlPlane}. */
export interface BenchControlPlane {
  process: ChildProcess;
  url: string;
  /** Sends SIGTERM and resolves once it has exited. */
  stop(): Promise<void>;
  /**
   * Resolves with the fields of the first line the control plane logs with `msg` (its JSON
   * logger's `message.msg`), or rejects once it exits without one. Only with `readLog`.
   */
  logged(msg: string): Promise<Record<string, unknown>>;
}

/**
 * Starts `dist/src/main.js` over `dataDir` with `env` on a free port. Its log is discarded unless
 * `readLog` (default false: reading it would take CPU from what is measured). With env
 * BENCH_PROFILE_DIR set, the control plane writes a V8 CPU profile there when it stops.
 */
export async function startControlPlane(
  dataDir: string,
  env: Record<string, string>,
  { readLog = false }: { readLog?: boolean } = {},
): Promise<BenchControlPlane> {
  const root = findRepoRoot(__dirname);
  const port = await freePort();
  const profileDir = process.env.BENCH_PROFILE_DIR;
  const profiling = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  const child = spawn(process.execPath, [...profiling, join(root, 'dist', 'src', 'main.js')], {
    cwd: root,
    stdio: ['ignore', readLog ? 'pipe' : 'ignore', 'ignore'],
    env: { ...process.env, DATA_DIR: dataDir, PORT: String(port), ...env },
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const messages: Array<Record<string, unknown>> = [];
  if (readLog) {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const message = parsedMessage(line);
      if (message) messages.push(message);
    });
  }
  return {
    process: child,
    url: `http://127.0.0.1:${port}`,
    stop: () => {
      child.kill('SIGTERM');
      return exited;
    },
    logged: async (msg) => {
      if (!readLog) throw new Error('the control plane was started without readLog');
      for (;;) {
        const found = messages.find((message) => message.msg === msg);
        if (found) return found;
        if (child.exitCode !== null) throw new Error(`the control plane exited without logging "${msg}"`);
        await sleep(50);
      }
    },
  };
}

/** The object a line of the JSON log carries, if it is one. */
function parsedMessage(line: string): Record<string, unknown> | undefined {
  try {
    const { message } = JSON.parse(line) as { message?: unknown };
    return typeof message === 'object' && message !== null ? (message as Record<string, unknown>) : undefined;
  } catch {
    return undefined; // not a line of the JSON log
  }
}

/** Resolves once `workers` workers of the control plane at `url` have started (models loaded), busy or idle. */
export async function workersRunning(url: string, workers: number, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const fleet = await fetch(`${url}/api/fleet`)
      .then((res) => res.json() as Promise<{ workers: { state: string }[] }>)
      .catch(() => ({ workers: [] }));
    if (fleet.workers.filter((w) => w.state === 'running' || w.state === 'idle').length === workers) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${workers} running workers`);
    await sleep(100);
  }
}

/** The pid of the worker process launched for `workerId` (found by its environment). */
export function pidOfWorker(workerId: string): number | undefined {
  for (const entry of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      if (readFileSync(`/proc/${entry}/environ`, 'latin1').split('\0').includes(`WORKER_ID=${workerId}`))
        return Number(entry);
    } catch {
      // processes come and go while we look
    }
  }
  return undefined;
}

/** Linux's clock ticks per second, the unit of /proc/<pid>/stat's CPU times. */
const CLOCK_TICKS_PER_S = 100;

/** CPU seconds (user + system) the process has used, from /proc. */
export function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_S;
}

/** The pids of the control plane's worker processes now. */
export async function workerPids(url: string): Promise<number[]> {
  const fleet = (await (await fetch(`${url}/api/fleet`)).json()) as { workers: { id: string }[] };
  return fleet.workers.map((worker) => pidOfWorker(worker.id)).filter((pid) => pid !== undefined);
}
