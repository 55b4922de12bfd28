import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { S3RVER_CREDENTIALS, startLocalS3Server } from './local-s3-server';
import { startLocalSqsServer } from './local-sqs-server';
import { REPO_ROOT } from './paths';
import type { PostgresHost } from '../../src/adapters/postgres/throwaway-postgres';
import { startPostgresServer } from './postgres-server';

/** What several control planes share: the log on PostgreSQL, the queues on SQS, the objects on S3. */
export interface SharedBackend {
  /** The database of the log, for the test's own queries. */
  databaseUrl: string;
  /** The environment that points a control plane at all three (add DATA_DIR and PORT). */
  env: Record<string, string>;
  stop(): Promise<void>;
}

/** Where the parts run when they are not all on this process's loopback (tests across hosts). */
export interface SharedBackendHosts {
  /** PostgreSQL's host: see `startThrowawayPostgres`. */
  postgres: PostgresHost;
  /** The address the S3- and SQS-compatible servers listen on, in this process's network. */
  services: string;
}

/**
 * Starts PostgreSQL and the S3- and SQS-compatible servers, and provisions the queues and the
 * bucket with the command a user runs (`npm run aws:provision`, built).
 */
export async function startSharedBackend(
  name = 'eir-shared',
  hosts?: SharedBackendHosts,
): Promise<SharedBackend> {
  const [postgres, sqs, s3] = await Promise.all([
    startPostgresServer(hosts?.postgres),
    startLocalSqsServer(hosts?.services),
    startLocalS3Server(hosts?.services),
  ]);
  const stop = async () => {
    await Promise.all([sqs.stop(), s3.stop()]);
    await postgres.stop();
  };
  const env = {
    PROFILE: 'aws',
    COMPUTE: 'local',
    AWS_REGION: 'us-east-1',
    AWS_ENDPOINT_URL_SQS: sqs.endpoint,
    AWS_ENDPOINT_URL_S3: s3.endpoint,
    S3_FORCE_PATH_STYLE: 'true',
    S3_BUCKET: name,
    AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
    EVENT_STORE: 'postgres',
    DATABASE_URL: postgres.url,
    DATABASE_SCHEMA: name.replaceAll('-', '_'),
  };
  const provision = await new Promise<{ code: number | null; output: string }>((resolve) => {
    const child = execFile(
      process.execPath,
      [join(REPO_ROOT, 'dist', 'scripts', 'aws-provision.js')],
      { env: { ...process.env, ...env } },
      (_error, stdout, stderr) => resolve({ code: child.exitCode, output: stdout + stderr }),
    );
  });
  if (provision.code !== 0) {
    await stop();
    throw new Error(`Provisioning the queues and the bucket failed:\n${provision.output}`);
  }
  return { databaseUrl: postgres.url, env, stop };
}
