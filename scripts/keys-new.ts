/**
 * `npm run keys:new [-- <name>]`: makes a new random key and prints it once, with the line that
 * puts it in a key file (API_KEYS_FILE or ADMIN_KEYS_FILE), which holds only its digest.
 */
import { randomBytes } from 'node:crypto';
import { keyDigest } from '../src/security/api-keys';

const name = process.argv[2];
const key = randomBytes(32).toString('base64url');
console.log(`key (give it to its holder; it is not kept):  ${key}`);
console.log(`line for the key file:  sha256:${keyDigest(key).toString('hex')}${name ? ` ${name}` : ''}`);
