import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { localPaths } from '../src/adapters/local/local-adapters';
import { ControlPlaneProcess, freePort, waitFor } from './support/control-plane-process';
import { LocalS3Server, S3RVER_CREDENTIALS, startLocalS3Server } from './support/local-s3-server';
import { LocalSqsServer, startLocalSqsServer } from './support/local-sqs-server';
import { datasetImages, defaultModelLabels, REPO_ROOT } from './support/paths';

interface JobView {
  id: string;
  status: string;
  topLabel?: string;
}

const BUCKET = 'eir-e2e';
const REGION = 'us-east-1';

/** Runs a built script with `env` added to this process's environment. */
function runNode(script: string, env: Record<string, string>) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = execFile(
      process.execPath,
      [script],
      { env: { ...process.env, ...env } },
      (_error, stdout, stderr) => resolve({ code: child.exitCode, stdout, stderr }),
    );
  });
}

describe('PROFILE=aws against S3- and SQS-compatible servers, worker processes standing in for EC2', () => {
  let sqs: LocalSqsServer;
  let s3: LocalS3Server;
  let s3Client: S3Client;
  let dataDir: string;

  /** The environment of the control plane and of the provisioning command: the local servers as AWS. */
  const awsEnv = () => ({
    PROFILE: 'aws',
    AWS_REGION: REGION,
    AWS_ENDPOINT_URL_SQS: sqs.endpoint,
    AWS_ENDPOINT_URL_S3: s3.endpoint,
    S3_FORCE_PATH_STYLE: 'true',
    S3_BUCKET: BUCKET,
    AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
  });

  beforeAll(async () => {
    [sqs, s3] = await Promise.all([startLocalSqsServer(), startLocalS3Server()]);
    // The queues and the bucket come from the provisioning command a user runs (npm run aws:provision).
    const provision = await runNode(join(REPO_ROOT, 'dist', 'scripts', 'aws-provision.js'), awsEnv());
    expect(provision).toMatchObject({ code: 0 });
    expect(provision.stdout).toMatch(/eir-e2e-requests/);
    s3Client = new S3Client({
      region: REGION,
      endpoint: s3.endpoint,
      forcePathStyle: true,
      credentials: S3RVER_CREDENTIALS,
    });
    dataDir = mkdtempSync(join(tmpdir(), 'aws-profile-'));
  });

  afterAll(async () => {
    s3Client?.destroy();
    await Promise.all([sqs?.stop(), s3?.stop()]);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('classifies 50 uploaded images with every message through SQS and every byte through S3', async () => {
    const plane = new ControlPlaneProcess(dataDir, await freePort(), {
      ...awsEnv(),
      COMPUTE: 'local',
      MAX_WORKERS: '2',
    });
    await plane.start();

    const images = datasetImages('ilsvrc2012-val-sample').slice(0, 50);
    const ids: string[] = [];
    for (let i = 0; i < images.length; i += 10) {
      const form = new FormData();
      for (const file of images.slice(i, i + 10))
        form.append('files', new Blob([readFileSync(file)]), basename(file));
      const response = await fetch(`${plane.url}/api/jobs`, { method: 'POST', body: form });
      expect(response.status).toBe(202);
      ids.push(...((await response.json()) as { jobs: JobView[] }).jobs.map((job) => job.id));
    }
    expect(new Set(ids).size).toBe(50);

    const jobs = await waitFor(
      'all 50 jobs reported',
      async () => {
        const page = (await (await fetch(`${plane.url}/api/jobs?status=reported&limit=100`)).json()) as {
          total: number;
          items: JobView[];
        };
        return page.total === 50 ? page.items : undefined;
      },
      120_000,
    );
    const labels = defaultModelLabels();
    expect(jobs.map((job) => job.id).sort()).toEqual([...ids].sort());
    for (const job of jobs) expect(labels.has(job.topLabel ?? '')).toBe(true);

    // The requests went through the SQS endpoint: sent, received by the workers and deleted.
    const sent = (sqs.requests.get('SendMessage') ?? 0) + (sqs.requests.get('SendMessageBatch') ?? 0);
    expect(sent).toBeGreaterThan(0);
    expect(sqs.requests.get('ReceiveMessage')).toBeGreaterThan(0);
    expect(
      (sqs.requests.get('DeleteMessage') ?? 0) + (sqs.requests.get('DeleteMessageBatch') ?? 0),
    ).toBeGreaterThan(0);
    // The bytes went through the S3 endpoint: every input and every output is in the bucket (a
    // worker writes an output while it reports the job, so the last ones may still be on their way).
    const keys = await waitFor(
      'every output in the bucket',
      async () => {
        const listed = await s3Client.send(new ListObjectsV2Command({ Bucket: BUCKET }));
        const keys = new Set((listed.Contents ?? []).map((object) => object.Key));
        return ids.every((id) => keys.has(`outputs/${id}.json`)) ? keys : undefined;
      },
      10_000,
    );
    for (const id of ids) expect(keys.has(`inputs/${id}`)).toBe(true);
    // ...and nothing took the local path: no queue file, no object folder beside the event log.
    const paths = localPaths(dataDir);
    expect(existsSync(paths.events)).toBe(true);
    expect(existsSync(paths.queues)).toBe(false);
    expect(existsSync(paths.objects)).toBe(false);

    expect(await plane.stop()).toBe(0);
  }, 180_000);
});
