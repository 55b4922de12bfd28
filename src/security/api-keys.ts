import { createHash, timingSafeEqual } from 'node:crypto';

/** What a key lets its holder do. */
export type KeyRole = 'api' | 'admin';

/** The SHA-256 digest of a key, the only form in which the service keeps one. */
export const keyDigest = (key: string): Buffer => createHash('sha256').update(key, 'utf8').digest();

/**
 * The configured keys, as SHA-256 digests. A presented key's digest is compared with every one
 * of them in constant time (all of them, always), so neither the answer's timing nor an early
 * exit tells how much of a key was right.
 */
export class ApiKeys {
  private readonly digests: Array<{ digest: Buffer; role: KeyRole }>;

  /** @param keys the digests of the API keys and of the admin keys ({@link keyDigest}) */
  constructor(keys: { api: readonly Buffer[]; admin: readonly Buffer[] }) {
    this.digests = [
      ...keys.api.map((digest) => ({ digest, role: 'api' as const })),
      ...keys.admin.map((digest) => ({ digest, role: 'admin' as const })),
    ];
  }

  /** Whether any key is set; without one the service is open (loopback, or ALLOW_ANONYMOUS). */
  get enabled(): boolean {
    return this.digests.length > 0;
  }

  /** The role of `key`, or undefined when it is none of the configured keys. */
  roleOf(key: string): KeyRole | undefined {
    const presented = keyDigest(key);
    let role: KeyRole | undefined;
    for (const entry of this.digests) {
      if (timingSafeEqual(presented, entry.digest) && role !== 'admin') role = entry.role;
    }
    return role;
  }
}
