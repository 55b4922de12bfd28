import { DescribeInstancesCommand, EC2Client, Filter, Instance } from '@aws-sdk/client-ec2';
import type { InstanceState } from '../../ports/compute.port';
import { EC2_TAG_KEYS } from './ec2-launch';

/** EC2 states in which an instance is, or is about to be, running: it counts against the cap. */
export const LIVE_STATES = ['pending', 'running', 'stopping', 'shutting-down'] as const;

/** What the adapter reads from one DescribeInstances entry. */
export interface DescribedInstance {
  instanceId: string;
  /** EC2's state name (`pending`, `running`, ..., `terminated`). */
  ec2State: string;
  /** The `worker-id` tag; undefined on instances the adapter did not launch. */
  workerId?: string;
  /** The `fleet` tag. */
  fleetId?: string;
  launchedAt?: number;
}

/** Every instance that `filters` match, over all pages of DescribeInstances. */
export async function describeInstances(
  client: EC2Client,
  filters: Filter[],
  instanceIds?: string[],
): Promise<DescribedInstance[]> {
  const found: DescribedInstance[] = [];
  let nextToken: string | undefined;
  do {
    const page = await client.send(
      new DescribeInstancesCommand({
        Filters: filters.length > 0 ? filters : undefined,
        InstanceIds: instanceIds,
        // EC2 refuses MaxResults together with InstanceIds.
        MaxResults: instanceIds ? undefined : 1000,
        NextToken: nextToken,
      }),
    );
    for (const reservation of page.Reservations ?? []) {
      for (const instance of reservation.Instances ?? []) {
        const described = describe(instance);
        if (described) found.push(described);
      }
    }
    nextToken = page.NextToken || undefined;
  } while (nextToken);
  return found;
}

/** Filters for the instances of one fleet of one project, in the given states (all when omitted). */
export function fleetFilters(project: string, fleetId: string, states?: readonly string[]): Filter[] {
  const filters: Filter[] = [
    { Name: `tag:${EC2_TAG_KEYS.project}`, Values: [project] },
    { Name: `tag:${EC2_TAG_KEYS.fleet}`, Values: [fleetId] },
  ];
  if (states) filters.push({ Name: 'instance-state-name', Values: [...states] });
  return filters;
}

/** Whether an instance in this EC2 state still counts as running a worker. */
export function isLive(ec2State: string): boolean {
  return (LIVE_STATES as readonly string[]).includes(ec2State);
}

/** The port's state of a live instance. */
export function portState(ec2State: string): InstanceState {
  if (ec2State === 'pending') return 'pending';
  if (ec2State === 'running') return 'running';
  return 'terminating';
}

function describe(instance: Instance): DescribedInstance | undefined {
  if (!instance.InstanceId) return undefined;
  const tag = (key: string) => instance.Tags?.find((each) => each.Key === key)?.Value;
  return {
    instanceId: instance.InstanceId,
    ec2State: instance.State?.Name ?? 'pending',
    workerId: tag(EC2_TAG_KEYS.workerId),
    fleetId: tag(EC2_TAG_KEYS.fleet),
    launchedAt: instance.LaunchTime?.getTime(),
  };
}
