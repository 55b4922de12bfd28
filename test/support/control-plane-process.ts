import { ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { REPO_ROOT } from './paths';
import { track } from './spawned';

/** A free TCP port on loopback. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/** Polls `check` until it returns a value, or fails after `timeoutMs` naming `what`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 60_000,
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** The built control plane (`dist/src/main.js`) as a real process, with its workers as its children. */
export class ControlPlaneProcess {
  private child?: ChildProcess;
  private exited?: Promise<number | null>;
  private exitSignal: NodeJS.Signals | null = null;
  readonly output: string[] = [];

  /**
   * @param host where it runs instead of this process's network (tests across hosts): in the
   *   network namespace `namespace`, listening on `address`.
   */
  constructor(
    readonly dataDir: string,
    readonly port: number,
    private readonly env: Record<string, string> = {},
    private readonly host?: { namespace: string; address: string },
  ) {}

  /** The process id, once spawned. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  get url(): string {
    return `http://${this.host?.address ?? '127.0.0.1'}:${this.port}`;
  }

  /** Starts it and resolves once the API answers; rejects with its last output if it exits first. */
  async start(): Promise<void> {
    if (!(await this.startOrExit()))
      throw new Error(`The control plane exited before it answered:\n${this.output.join('').slice(-2_000)}`);
  }

  /**
   * Starts it and resolves once the API answers (true), or once the process exits first (false):
   * one told to crash may die before it answers.
   */
  async startOrExit(): Promise<boolean> {
    this.spawn();
    await waitFor('the control plane to answer, or to exit first', async () =>
      this.hasExited || (await fetch(`${this.url}/api/fleet`)).ok ? true : undefined,
    );
    return !this.hasExited;
  }

  /** Whether the process has exited. */
  get hasExited(): boolean {
    return this.child !== undefined && (this.child.exitCode !== null || this.child.signalCode !== null);
  }

  /** Starts it without waiting for anything (it may crash before it answers). */
  spawn(): void {
    const command = [process.execPath, join(REPO_ROOT, 'dist', 'src', 'main.js')];
    // `ip netns exec` execs the command: the process spawned is the control plane's own.
    const [file, ...args] = this.host ? ['ip', 'netns', 'exec', this.host.namespace, ...command] : command;
    this.child = track(
      spawn(file, args, {
        cwd: REPO_ROOT,
        env: {
          ...process.env,
          DATA_DIR: this.dataDir,
          PORT: String(this.port),
          ...(this.host && { HOST: this.host.address }),
          ...this.env,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
    // Copied to this test's output too, which is shown only if the test fails.
    const collect = (chunk: Buffer) => {
      this.output.push(chunk.toString());
      process.stdout.write(chunk);
    };
    this.child.stdout!.on('data', collect);
    this.child.stderr!.on('data', collect);
    this.exited = new Promise((resolve) =>
      this.child!.once('exit', (code, signal) => {
        this.exitSignal = signal;
        resolve(code);
      }),
    );
  }

  /** Resolves when the process exits, with the signal that ended it (null for an exit of its own). */
  async exit(): Promise<NodeJS.Signals | null> {
    await this.exited;
    return this.exitSignal;
  }

  /** Whether it leads the log it shares with other control planes, as its readiness answer says. */
  async role(): Promise<'leader' | 'follower'> {
    return ((await (await fetch(`${this.url}/health`)).json()) as { role: 'leader' | 'follower' }).role;
  }

  /** Resolves once at least one worker is running. */
  async workersRunning(min = 1): Promise<void> {
    await waitFor(`${min} running worker(s)`, async () => {
      const { workers } = (await (await fetch(`${this.url}/api/fleet`)).json()) as {
        workers: { state: string }[];
      };
      return workers.filter((w) => w.state === 'running' || w.state === 'idle').length >= min
        ? true
        : undefined;
    });
  }

  /** Sends `signal` and waits for the exit; returns the exit code. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (!this.child || this.child.exitCode !== null) return this.child?.exitCode ?? null;
    this.child.kill(signal);
    return this.exited!;
  }
}
