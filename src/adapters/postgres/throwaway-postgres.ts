import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { appendFileSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';

/** A PostgreSQL server in a temporary folder, on a free loopback port: for tests and benchmarks. */
export interface ThrowawayPostgres {
  /** `postgres://postgres@<address>:<port>/postgres` */
  url: string;
  /** Stops the server (a fast shutdown) and removes its folder. */
  stop(): Promise<void>;
}

/** A host of its own for the server, in a network namespace (see {@link startThrowawayPostgres}). */
export interface PostgresHost {
  namespace: string;
  /** The address it listens on (port 5432). */
  address: string;
  /** The network it takes connections from, as a CIDR. */
  allowFrom: string;
}

/**
 * Where the server's programs are: env PG_BIN, else the newest `/usr/lib/postgresql/<major>/bin`
 * (Debian's `postgresql` package, which `npm run test:tools` installs).
 */
export function postgresBinDir(): string {
  const given = process.env.PG_BIN;
  if (given) return given;
  const root = '/usr/lib/postgresql';
  const majors = existsSync(root)
    ? readdirSync(root)
        .filter((name) => existsSync(join(root, name, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (majors.length === 0)
    throw new Error(
      `No PostgreSQL server in ${root}: run npm run test:tools (it installs Debian's postgresql)`,
    );
  return join(root, majors[0], 'bin');
}

/** The user the server runs as: initdb refuses root, so root runs it as `postgres`. */
function serverUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/**
 * `initdb` in a fresh temporary folder, then the server on a free port of 127.0.0.1 only (no Unix
 * socket), as a child process; resolves once it takes connections, within `timeoutMs` (default
 * 30 000).
 * @param onSpawn told of the server's process (a test runner may track it, to kill it should the test die).
 * @param durable whether commits are fsynced, as a real server's are (default false: a test's data
 *   outlives no crash of the machine, and `fsync=off` spares the disk).
 * @param host where it runs instead (tests across hosts): in the network namespace `namespace`
 *   (needs root), listening on port 5432 of `address`, taking connections from `allowFrom` (a CIDR).
 */
export async function startThrowawayPostgres({
  onSpawn,
  timeoutMs = 30_000,
  durable = false,
  host,
}: {
  onSpawn?: (server: ChildProcess) => void;
  timeoutMs?: number;
  durable?: boolean;
  host?: PostgresHost;
} = {}): Promise<ThrowawayPostgres> {
  const bin = postgresBinDir();
  const user = serverUser();
  const dir = mkdtempSync(join(tmpdir(), 'postgres-'));
  if (user) chownSync(dir, user.uid, user.gid);
  const data = join(dir, 'data');
  execFileSync(
    join(bin, 'initdb'),
    ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-sync'],
    {
      ...user,
      stdio: 'ignore',
    },
  );
  if (host) appendFileSync(join(data, 'pg_hba.conf'), `host all all ${host.allowFrom} trust\n`);
  const address = host?.address ?? '127.0.0.1';
  const port = host ? 5432 : await freePort();
  const settings = [
    `listen_addresses=${address}`,
    'unix_socket_directories=',
    'max_connections=200',
    ...(durable ? [] : ['fsync=off']),
  ];
  const command = [
    join(bin, 'postgres'),
    '-D',
    data,
    '-p',
    String(port),
    ...settings.flatMap((s) => ['-c', s]),
  ];
  // Into the namespace as root, then the server's user: each step execs the next, so the process
  // spawned is the server's own.
  const server = host
    ? spawn(
        'ip',
        [
          'netns',
          'exec',
          host.namespace,
          'setpriv',
          `--reuid=${user?.uid ?? process.getuid!()}`,
          `--regid=${user?.gid ?? process.getgid!()}`,
          '--clear-groups',
          '--',
          ...command,
        ],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      )
    : spawn(command[0], command.slice(1), { ...user, stdio: ['ignore', 'ignore', 'pipe'] });
  onSpawn?.(server);
  const log: string[] = [];
  server.stderr!.on('data', (chunk: Buffer) => log.push(chunk.toString()));
  const url = `postgres://postgres@${address}:${port}/postgres`;
  const stop = async () => {
    if (server.exitCode === null && server.signalCode === null) {
      const exited = new Promise((resolve) => server.once('exit', resolve));
      server.kill('SIGINT');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (server.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`PostgreSQL did not take connections within ${timeoutMs} ms:\n${log.join('')}`);
    }
    const client = new Client({ connectionString: url });
    try {
      await client.connect();
      await client.end();
      return { url, stop };
    } catch {
      await client.end().catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}
