import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { awsWorkerEnv, loadAwsConfig } from '../src/config/aws-config';
import { LaunchSpec, workerUserData } from '../src/adapters/aws/ec2-launch';
import { REPO_ROOT } from './support/paths';

const SHELLCHECK = process.env.SHELLCHECK_PATH ?? 'shellcheck';
const WORKER_UNIT = join(REPO_ROOT, 'deploy', 'ec2', 'eir-worker.service');

/** Every `*.sh` under the folders, recursively, relative to the repository. */
function shellScripts(...folders: string[]): string[] {
  return folders
    .flatMap((folder) =>
      (readdirSync(join(REPO_ROOT, folder), { recursive: true }) as string[])
        .filter((file) => file.endsWith('.sh'))
        .map((file) => join(folder, file)),
    )
    .filter((file) => statSync(join(REPO_ROOT, file)).isFile())
    .sort();
}

function run(command: string, args: string[], options: { env?: NodeJS.ProcessEnv } = {}) {
  const result = spawnSync(command, args, {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    env: options.env ?? process.env,
  });
  if (result.error) {
    throw new Error(`${command} could not run (${result.error.message}); install it with npm run test:tools`);
  }
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** The user-data of one launch, with values that a careless script would let break out of their quotes. */
function exampleUserData(spec: Partial<LaunchSpec> = {}): string {
  const aws = loadAwsConfig({ AWS_REGION: 'eu-west-1', S3_BUCKET: 'eir-example-bucket' });
  return workerUserData(
    { project: 'elastic-image-recognition', fleetId: 'default', launchTemplate: { id: 'lt-0123' }, ...spec },
    {
      workerId: 'worker-7',
      env: {
        ...awsWorkerEnv(aws),
        MODEL: 'mobilenet_v2_1.0_224_quant',
        ODD: `a "quoted" $HOME \`id\` \\ 'x'`,
      },
    },
  );
}

let scratch: string;
beforeAll(() => (scratch = mkdtempSync(join(tmpdir(), 'shell-scripts-'))));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('the shell scripts of scripts/ and deploy/', () => {
  const scripts = shellScripts('scripts', 'deploy');

  it('include the install and image scripts', () => {
    expect(scripts).toEqual(
      expect.arrayContaining([
        'deploy/ec2/prepare-worker-image.sh',
        'deploy/make-release.sh',
        'scripts/install-test-tools.sh',
      ]),
    );
  });

  it.each(scripts)('%s parses (bash -n) and passes shellcheck', (script) => {
    expect(run('bash', ['-n', script])).toEqual({ status: 0, output: '' });
    expect(run(SHELLCHECK, ['--shell=bash', script])).toEqual({ status: 0, output: '' });
  });
});

describe("the worker's user-data that the EC2 adapter generates", () => {
  it('parses (bash -n) and passes shellcheck', () => {
    const file = join(scratch, 'user-data.sh');
    writeFileSync(file, exampleUserData());
    expect(run('bash', ['-n', file])).toEqual({ status: 0, output: '' });
    expect(run(SHELLCHECK, [file])).toEqual({ status: 0, output: '' });
  });

  it('starts the unit that deploy/ec2 installs, with the environment file that unit reads', () => {
    const unit = readFileSync(WORKER_UNIT, 'utf8');
    const userData = exampleUserData();

    expect(unit).toMatch(/^EnvironmentFile=\/etc\/eir\/worker\.env$/m);
    expect(userData).toContain("mv '/etc/eir/worker.env.new' '/etc/eir/worker.env'");
    expect(userData).toContain("systemctl start 'eir-worker.service'");
    expect(unit).toMatch(/^ExecStart=\/usr\/local\/bin\/node dist\/src\/worker\.js$/m);
  });

  it('runs: writes the environment file with INSTANCE_ID from the metadata service, then starts the unit', () => {
    // Stand-ins for the instance metadata service and systemd, on the PATH before the real tools.
    const bin = join(scratch, 'bin');
    const envFile = join(scratch, 'etc', 'worker.env');
    const started = join(scratch, 'started');
    mkdirSync(bin);
    for (const [name, body] of [
      [
        'curl',
        'case "$*" in *api/token*) echo token-1 ;; *instance-id*) echo i-0abc123 ;; *) exit 22 ;; esac',
      ],
      ['systemctl', `echo "$*" > '${started}'`],
    ]) {
      const tool = join(bin, name);
      writeFileSync(tool, `#!/bin/bash\n${body}\n`);
      chmodSync(tool, 0o755);
    }

    const script = join(scratch, 'user-data-run.sh');
    writeFileSync(script, exampleUserData({ boot: { envFile } }));
    const result = run('bash', [script], { env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } });

    expect(result).toEqual({ status: 0, output: '' });
    const written = readFileSync(envFile, 'utf8');
    expect(written).toContain('S3_BUCKET="eir-example-bucket"\n');
    expect(written).toContain('WORKER_ID="worker-7"\n');
    expect(written).toContain('ODD="a \\"quoted\\" \\$HOME \\`id\\` \\\\ \'x\'"\n');
    expect(written.endsWith('INSTANCE_ID=i-0abc123\n')).toBe(true);
    expect(readFileSync(started, 'utf8')).toBe('start eir-worker.service\n');
  });
});
