import { createHash, timingSafeEqual } from 'node:crypto';

/** What a key lets its holder do. */
export type KeyRole = 'api' | 'admin';

const digest = (key: string) => createHash('sha256').update(key, 'utf8').digest();

/**
 * The configured keys, kept only as SHA-256 digests. A presented key is compared with every one
 * of them in constant time (its digest against each, all of them always), so neither the answer's
 * timing nor an early exit tells how much of a key was right.
 */
export class ApiKeys {
  private readonly digests: Array<{ digest: Buffer; role: KeyRole }>;

  constructor(apiKeys: readonly string[], adminKeys: readonly string[]) {
    this.digests = [
      ...apiKeys.map((key) => ({ digest: digest(key), role: 'api' as const })),
      ...adminKeys.map((key) => ({ digest: digest(key), role: 'admin' as const })),
    ];
  }

  /** Whether any key is set; without one the service is open (loopback, or ALLOW_ANONYMOUS). */
  get enabled(): boolean {
    return this.digests.length > 0;
  }

  /** The role of `key`, or undefined when it is none of the configured keys. */
  roleOf(key: string): KeyRole | undefined {
    const presented = digest(key);
    let role: KeyRole | undefined;
    for (const entry of this.digests) {
      if (timingSafeEqual(presented, entry.digest) && role !== 'admin') role = entry.role;
    }
    return role;
  }
}
