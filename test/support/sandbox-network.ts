import { execFileSync } from 'node:child_process';
import { randomInt } from 'node:crypto';

/** Hosts on a private network of their own on this machine, each in a network namespace. */
export interface SandboxNetwork {
  /** Each host's namespace and address, by the name it was made with. */
  hosts: Record<string, { namespace: string; address: string }>;
  /** The address of this process's own end, in the root namespace (where the test runs). */
  testAddress: string;
  /** The network, as a CIDR. */
  cidr: string;
  /** Removes the namespaces and links (the processes in them should be stopped first). */
  remove(): void;
}

const ip = (...args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });

/**
 * Why network namespaces cannot be made here (not root, no `ip`, or the kernel refuses), or
 * undefined when they can: the test across hosts then runs.
 */
export function whyNoNamespaces(): string | undefined {
  if (process.getuid?.() !== 0) return 'making network namespaces needs root';
  const probe = `eirprobe${process.pid}`;
  try {
    ip('netns', 'add', probe);
    ip('netns', 'del', probe);
    return undefined;
  } catch (error) {
    return `ip netns add failed: ${(error as Error).message.split('\n')[0]}`;
  }
}

/**
 * Makes one namespace per name in `names`, and a switch (a bridge, in a namespace of its own) that
 * joins them and this process's root namespace by veth pairs, on a random 10.213.x.0/24: traffic
 * between them stays on this machine, through real network stacks (each host has its own
 * loopback, ports and routes).
 */
export function makeSandboxNetwork(names: string[]): SandboxNetwork {
  const tag = `e${randomInt(10_000, 99_999)}`;
  const subnet = `10.213.${randomInt(1, 254)}`;
  const cidr = `${subnet}.0/24`;
  const sw = `${tag}-sw`;
  const links: string[] = [];
  const namespaces: string[] = [];
  const remove = () => {
    for (const link of links) {
      try {
        ip('link', 'del', link);
      } catch {
        // Gone with its namespace already.
      }
    }
    for (const namespace of namespaces) ip('netns', 'del', namespace);
  };
  try {
    ip('netns', 'add', sw);
    namespaces.push(sw);
    ip('-n', sw, 'link', 'add', 'br0', 'type', 'bridge');
    ip('-n', sw, 'link', 'set', 'br0', 'up');
    /** A veth pair from `namespace` (or the root) to the switch's bridge. */
    const plug = (end: string, namespace: string | undefined, address: string) => {
      ip('link', 'add', end, 'type', 'veth', 'peer', 'name', `${end}b`);
      if (namespace) ip('link', 'set', end, 'netns', namespace);
      else links.push(end);
      ip('link', 'set', `${end}b`, 'netns', sw);
      ip('-n', sw, 'link', 'set', `${end}b`, 'master', 'br0', 'up');
      const inside = namespace ? ['-n', namespace] : [];
      ip(...inside, 'addr', 'add', `${address}/24`, 'dev', end);
      ip(...inside, 'link', 'set', end, 'up');
      if (namespace) ip(...inside, 'link', 'set', 'lo', 'up');
    };
    const hosts: SandboxNetwork['hosts'] = {};
    names.forEach((name, i) => {
      const namespace = `${tag}-${name}`;
      ip('netns', 'add', namespace);
      namespaces.push(namespace);
      hosts[name] = { namespace, address: `${subnet}.${i + 1}` };
      plug(`${tag}h${i}`, namespace, hosts[name].address);
    });
    const testAddress = `${subnet}.254`;
    plug(`${tag}t`, undefined, testAddress);
    return { hosts, testAddress, cidr, remove };
  } catch (error) {
    remove();
    throw error;
  }
}
