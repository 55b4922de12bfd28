import { InvalidObjectKeyError } from './object-store.errors';

/** Longest key in UTF-8 bytes: S3's limit. */
export const MAX_OBJECT_KEY_BYTES = 1024;

/**
 * Longest '/'-separated segment in UTF-8 bytes. S3 has no such limit; this one leaves room under a
 * local filesystem's 255-byte file-name limit for the fs store's own marker, so that a key valid
 * on one backend is valid on the other.
 */
export const MAX_OBJECT_KEY_SEGMENT_BYTES = 250;

// C0 controls (NUL included) and DEL: legal in S3 keys, but they break logs, headers and paths.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Refuses, with `InvalidObjectKeyError`, a key that is not a plain relative path: empty, longer
 * than {@link MAX_OBJECT_KEY_BYTES}, not well-formed Unicode, holding control characters or
 * backslashes, starting with '/' (absolute), or with an empty, '.' or '..' segment (`a//b`, `a/`,
 * `../x`). Such keys could escape a directory-backed store or name one object two ways.
 */
export function assertValidObjectKey(key: string): void {
  assertCharacters(key);
  if (key.length === 0) throw new InvalidObjectKeyError(key, 'empty');
  if (Buffer.byteLength(key, 'utf8') > MAX_OBJECT_KEY_BYTES) {
    throw new InvalidObjectKeyError(key, `longer than ${MAX_OBJECT_KEY_BYTES} bytes`);
  }
  for (const segment of key.split('/')) assertValidSegment(key, segment);
}

/**
 * Refuses a list prefix that no valid key could start with. `''` (everything) is valid; the text
 * after the last '/' is a partial segment and may be anything a segment may start with.
 */
export function assertValidObjectKeyPrefix(prefix: string): void {
  assertCharacters(prefix);
  if (Buffer.byteLength(prefix, 'utf8') > MAX_OBJECT_KEY_BYTES) {
    throw new InvalidObjectKeyError(prefix, `longer than ${MAX_OBJECT_KEY_BYTES} bytes`);
  }
  const segments = prefix.split('/');
  const partial = segments.pop() ?? '';
  for (const segment of segments) assertValidSegment(prefix, segment);
  if (Buffer.byteLength(partial, 'utf8') > MAX_OBJECT_KEY_SEGMENT_BYTES) {
    throw new InvalidObjectKeyError(prefix, `a segment is longer than ${MAX_OBJECT_KEY_SEGMENT_BYTES} bytes`);
  }
}

function assertCharacters(key: string): void {
  if (typeof key !== 'string') throw new InvalidObjectKeyError(String(key), 'not a string');
  if (CONTROL_CHARACTER.test(key)) throw new InvalidObjectKeyError(key, 'contains a control character');
  if (key.includes('\\')) throw new InvalidObjectKeyError(key, 'contains a backslash');
  if (LONE_SURROGATE.test(key)) throw new InvalidObjectKeyError(key, 'not well-formed Unicode');
}

function assertValidSegment(key: string, segment: string): void {
  if (segment === '') {
    throw new InvalidObjectKeyError(key, 'starts or ends with "/" or holds "//" (empty segment)');
  }
  if (segment === '.' || segment === '..') {
    throw new InvalidObjectKeyError(key, `holds a "${segment}" segment`);
  }
  if (Buffer.byteLength(segment, 'utf8') > MAX_OBJECT_KEY_SEGMENT_BYTES) {
    throw new InvalidObjectKeyError(key, `a segment is longer than ${MAX_OBJECT_KEY_SEGMENT_BYTES} bytes`);
  }
}
