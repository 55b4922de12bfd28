import { randomBytes } from 'node:crypto';

/**
 * How keys map to paths under the store's root. Each '/'-separated segment becomes one path
 * component: a directory for a segment followed by more, a file for the last one. S3 lets `a` and
 * `a/b` both exist, so a file and a directory made from the same segment must get different names:
 * '%' is escaped as `%25`, and a file name ends with one unescaped '%'. A name that matches
 * neither form (such as a temporary file's) is never mistaken for an object.
 */

/** Longest file name most local filesystems accept, in bytes. */
export const MAX_FILE_NAME_BYTES = 255;

const ESCAPED_PERCENT = '%25';
const FILE_MARKER = '%';
const UNESCAPED_PERCENT = /%(?!25)/;

/** Directory name for a key segment that has more segments after it. */
export function directoryName(segment: string): string {
  return segment.replaceAll('%', ESCAPED_PERCENT);
}

/** File name for the last segment of a key. */
export function objectFileName(segment: string): string {
  return directoryName(segment) + FILE_MARKER;
}

/** Key segment a directory entry stands for, or `null` when the name is not a directory name. */
export function segmentOfDirectory(name: string): string | null {
  if (UNESCAPED_PERCENT.test(name)) return null;
  const segment = name.replaceAll(ESCAPED_PERCENT, '%');
  return segment === '' || segment === '.' || segment === '..' ? null : segment;
}

/** Key segment a file entry stands for, or `null` when the file is not an object (e.g. a temporary). */
export function segmentOfObjectFile(name: string): string | null {
  return name.endsWith(FILE_MARKER) ? segmentOfDirectory(name.slice(0, -FILE_MARKER.length)) : null;
}

const TEMPORARY_PREFIX = '.%tmp-';

/** A fresh temporary file name: `%t` is no valid escape and there is no trailing marker. */
export function temporaryFileName(): string {
  return `${TEMPORARY_PREFIX}${randomBytes(8).toString('hex')}`;
}

/** Whether a file name is one that {@link temporaryFileName} made. */
export function isTemporaryFileName(name: string): boolean {
  return name.startsWith(TEMPORARY_PREFIX);
}
