import { readFileSync } from 'node:fs';
import { InvalidConfigError } from '../config/env';

/** How a key file writes a key's digest: `sha256:` and 64 hex digits. */
const DIGEST_LINE = /^sha256:([0-9a-f]{64})(?:\s+\S.*)?$/i;

/**
 * Reads a file of hashed keys (env API_KEYS_FILE, ADMIN_KEYS_FILE): one key per line as
 * `sha256:<hex digest of the key>`, optionally followed by a name for the holder; blank lines
 * and lines starting with `#` are skipped. `npm run keys:new` prints a new key and its line.
 * A bad line is named by its number only, since it may hold a key by mistake.
 * @returns the digests, as {@link ApiKeys} takes them
 * @throws InvalidConfigError when the file cannot be read, has a bad line or has no key
 */
export function readKeyFile(path: string, setting: string): Buffer[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new InvalidConfigError(`${setting}: cannot read ${path}: ${(error as Error).message}`);
  }
  const digests: Buffer[] = [];
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = DIGEST_LINE.exec(line);
    if (!match) {
      throw new InvalidConfigError(
        `${setting}: line ${i + 1} of ${path} is not "sha256:<64 hex digits> [name]" (npm run keys:new prints one)`,
      );
    }
    digests.push(Buffer.from(match[1], 'hex'));
  }
  if (digests.length === 0) throw new InvalidConfigError(`${setting}: ${path} holds no key`);
  return digests;
}
