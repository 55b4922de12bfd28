import type { RunInstancesCommandInput, Tag } from '@aws-sdk/client-ec2';
import { createHash } from 'node:crypto';
import { InstanceLaunchError } from '../../compute/compute.errors';
import type { LaunchRequest } from '../../ports/compute.port';

/** Tag keys the adapter puts on every instance and volume it launches, and lists instances by. */
export const EC2_TAG_KEYS = {
  project: 'project',
  role: 'role',
  fleet: 'fleet',
  workerId: 'worker-id',
  name: 'Name',
} as const;

/** A launch template, by id or by name. */
export interface Ec2LaunchTemplate {
  id?: string;
  name?: string;
  /** Its version: a number, `$Latest` or `$Default`. Default: `$Default`. */
  version?: string;
}

/** Instance settings for launches without a template, or overriding the template's. */
export interface Ec2InstanceSettings {
  /** AMI with the worker installed as a systemd service (see {@link WorkerBoot}). */
  imageId?: string;
  instanceType?: string;
  subnetId?: string;
  securityGroupIds?: string[];
  /** Instance profile that gives the worker its SQS and S3 permissions. */
  instanceProfile?: { arn: string } | { name: string };
  keyName?: string;
}

/** How user-data starts the worker that the image has installed. */
export interface WorkerBoot {
  /** systemd unit that runs the worker; it reads {@link envFile} with `EnvironmentFile=`. Default: `eir-worker.service`. */
  serviceName?: string;
  /** Where user-data writes the worker's environment. Default: `/etc/eir/worker.env`. */
  envFile?: string;
}

/** What the adapter needs to build one RunInstances request. */
export interface LaunchSpec {
  project: string;
  fleetId: string;
  launchTemplate?: Ec2LaunchTemplate;
  instance?: Ec2InstanceSettings;
  boot?: WorkerBoot;
}

/** EC2's limit on user-data, before base64. */
export const MAX_USER_DATA_BYTES = 16 * 1024;

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;
const SAFE_PATH = /^\/[A-Za-z0-9._/-]+$/;
const SAFE_UNIT = /^[A-Za-z0-9@._-]+\.service$/;
/** Longest tag value EC2 accepts. */
const MAX_TAG_VALUE = 256;

/** Refuses settings that would make a broken request or script; called once, by the adapter's constructor. */
export function checkLaunchSpec(spec: LaunchSpec): void {
  const template = spec.launchTemplate;
  if (template && Boolean(template.id) === Boolean(template.name)) {
    throw new RangeError('A launch template is named by exactly one of id and name');
  }
  if (!template && !(spec.instance?.imageId && spec.instance.instanceType)) {
    throw new RangeError('Without a launch template, imageId and instanceType are required');
  }
  for (const [what, value] of [
    ['fleetId', spec.fleetId],
    ['project', spec.project],
  ]) {
    if (!value || value.length > MAX_TAG_VALUE || CONTROL_CHARACTER.test(value)) {
      throw new RangeError(`${what} must be 1–${MAX_TAG_VALUE} printable characters`);
    }
  }
  const { serviceName, envFile } = bootOf(spec);
  if (!SAFE_UNIT.test(serviceName)) throw new RangeError(`Not a plain systemd service name: ${serviceName}`);
  if (!SAFE_PATH.test(envFile)) throw new RangeError(`Not a plain absolute path: ${envFile}`);
}

/**
 * The RunInstances request for one worker: one instance, tagged, with user-data that starts the
 * worker, and a client token that makes repeating the launch of one worker id return the same
 * instance instead of a second one. Refuses an unusable worker id or environment with
 * `InstanceLaunchError`.
 */
export function runInstancesInput(spec: LaunchSpec, request: LaunchRequest): RunInstancesCommandInput {
  const { workerId } = request;
  if (!workerId || workerId.length > MAX_TAG_VALUE || CONTROL_CHARACTER.test(workerId)) {
    throw new InstanceLaunchError(workerId, `a worker id must be 1–${MAX_TAG_VALUE} printable characters`);
  }
  const tags = instanceTags(spec, workerId);
  const { launchTemplate: template, instance = {} } = spec;
  const profile = instance.instanceProfile;
  return {
    MinCount: 1,
    MaxCount: 1,
    ClientToken: clientToken(spec.fleetId, workerId),
    LaunchTemplate: template && {
      LaunchTemplateId: template.id,
      LaunchTemplateName: template.name,
      Version: template.version ?? '$Default',
    },
    ImageId: instance.imageId,
    InstanceType: instance.instanceType as RunInstancesCommandInput['InstanceType'],
    SubnetId: instance.subnetId,
    SecurityGroupIds: instance.securityGroupIds,
    IamInstanceProfile: profile && ('arn' in profile ? { Arn: profile.arn } : { Name: profile.name }),
    KeyName: instance.keyName,
    // A worker that powers itself off is gone for good, as a process that exits is.
    InstanceInitiatedShutdownBehavior: 'terminate',
    // IMDSv2 only (the control plane's policy launches nothing else); a template must say so itself.
    MetadataOptions: template ? undefined : { HttpTokens: 'required', HttpEndpoint: 'enabled' },
    UserData: Buffer.from(workerUserData(spec, request), 'utf8').toString('base64'),
    TagSpecifications: [
      { ResourceType: 'instance', Tags: tags },
      { ResourceType: 'volume', Tags: tags },
    ],
  };
}

/** The tags of a worker's instance. */
export function instanceTags(spec: Pick<LaunchSpec, 'project' | 'fleetId'>, workerId: string): Tag[] {
  return [
    { Key: EC2_TAG_KEYS.project, Value: spec.project },
    { Key: EC2_TAG_KEYS.role, Value: 'worker' },
    { Key: EC2_TAG_KEYS.fleet, Value: spec.fleetId },
    { Key: EC2_TAG_KEYS.workerId, Value: workerId },
    { Key: EC2_TAG_KEYS.name, Value: `${spec.project}-worker-${workerId}`.slice(0, MAX_TAG_VALUE) },
  ];
}

/** EC2's idempotency token for launching `workerId` in `fleetId`: 64 ASCII characters, EC2's maximum. */
export function clientToken(fleetId: string, workerId: string): string {
  return createHash('sha256').update(`${fleetId}\n${workerId}`).digest('hex');
}

/**
 * A bash script that writes the worker's environment (the request's, then `WORKER_ID`, then the
 * instance's own `INSTANCE_ID` from the instance metadata service) and starts the worker's
 * systemd unit. The environment travels base64-encoded, so no value can break out of the script.
 */
export function workerUserData(spec: LaunchSpec, request: LaunchRequest): string {
  const { serviceName, envFile } = bootOf(spec);
  const env = { ...request.env, WORKER_ID: request.workerId };
  delete (env as Record<string, string>).INSTANCE_ID;
  const envFileText = Object.entries(env)
    .map(
      ([name, value]) => `${checkedName(request.workerId, name)}=${quoted(request.workerId, name, value)}\n`,
    )
    .join('');
  const script = [
    '#!/bin/bash',
    'set -euo pipefail',
    'umask 077',
    `mkdir -p "$(dirname '${envFile}')"`,
    `base64 -d > '${envFile}.new' <<'WORKER_ENV'`,
    Buffer.from(envFileText, 'utf8').toString('base64'),
    'WORKER_ENV',
    "token=$(curl -fsS -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 300' http://169.254.169.254/latest/api/token)",
    'instance_id=$(curl -fsS -H "X-aws-ec2-metadata-token: $token" http://169.254.169.254/latest/meta-data/instance-id)',
    `echo "INSTANCE_ID=$instance_id" >> '${envFile}.new'`,
    // Complete or absent, never half written: the unit must not start from a partial file.
    `mv '${envFile}.new' '${envFile}'`,
    `systemctl start '${serviceName}'`,
    '',
  ].join('\n');
  if (Buffer.byteLength(script, 'utf8') > MAX_USER_DATA_BYTES) {
    throw new InstanceLaunchError(
      request.workerId,
      `its user-data exceeds EC2's ${MAX_USER_DATA_BYTES} bytes`,
    );
  }
  return script;
}

function bootOf(spec: LaunchSpec): Required<WorkerBoot> {
  return {
    serviceName: spec.boot?.serviceName ?? 'eir-worker.service',
    envFile: spec.boot?.envFile ?? '/etc/eir/worker.env',
  };
}

function checkedName(workerId: string, name: string): string {
  if (!ENV_NAME.test(name))
    throw new InstanceLaunchError(workerId, `${JSON.stringify(name)} is not a variable name`);
  return name;
}

/** A value as systemd's `EnvironmentFile=` reads it back: double quotes, with `" \ $ \`` escaped. */
function quoted(workerId: string, name: string, value: string): string {
  if (CONTROL_CHARACTER.test(value)) {
    throw new InstanceLaunchError(workerId, `the value of ${name} holds a control character`);
  }
  return `"${value.replace(/["\\$`]/g, (character) => `\\${character}`)}"`;
}
