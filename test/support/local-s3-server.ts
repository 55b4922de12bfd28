import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { REPO_ROOT } from './paths';
import { track } from './spawned';

const S3RVER = join(REPO_ROOT, 'test', 'fixtures', 'aws-s3rver.js');

/** The credentials s3rver checks. */
export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

/** An S3-compatible server (s3rver, path-style URLs) on a free loopback port, in a process of its own. */
export interface LocalS3Server {
  /** `http://<address>:<port>`, for `endpoint` or `AWS_ENDPOINT_URL_S3`. */
  endpoint: string;
  /** Stops the server and removes its data. */
  stop(): Promise<void>;
}

/**
 * Starts s3rver (listing in S3's byte order, see the fixture) over a fresh temporary folder, on a
 * free port of `address` (default 127.0.0.1).
 */
export async function startLocalS3Server(address = '127.0.0.1'): Promise<LocalS3Server> {
  const dataDir = await mkdtemp(join(tmpdir(), 's3rver-'));
  const child = track(
    spawn(process.execPath, ['--openssl-legacy-provider', S3RVER, dataDir, address], {
      stdio: ['pipe', 'pipe', 'inherit'],
    }),
  );
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('s3rver did not start within 10 s')), 10_000);
    child.once('exit', (code) => reject(new Error(`s3rver exited with code ${code} before listening`)));
    createInterface({ input: child.stdout! }).once('line', (line) => {
      clearTimeout(timer);
      resolve((JSON.parse(line) as { port: number }).port);
    });
  });
  return {
    endpoint: `http://${address}:${port}`,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
