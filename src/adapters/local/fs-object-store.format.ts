import type { FileHandle } from 'node:fs/promises';
import { CorruptObjectError } from '../../object-store/object-store.errors';

/**
 * On-disk layout of one object: magic, a 4-byte big-endian header length, a JSON header, then the
 * object's bytes. Keeping the content type inside the object's file (rather than in a sidecar)
 * means one rename publishes bytes and type together, and a reader holding one open file sees one
 * version of both.
 */

/** Metadata stored in an object's header. */
export interface ObjectHeader {
  contentType: string;
}

const MAGIC = Buffer.from('EIROBJ01', 'latin1');
const PREFIX_BYTES = MAGIC.length + 4;
const MAX_HEADER_JSON_BYTES = 64 * 1024;

/** Serialises the bytes written before an object's data. */
export function encodeHeader(header: ObjectHeader): Buffer {
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(json.length);
  return Buffer.concat([MAGIC, length, json]);
}

/** Reads an object file's header; `dataOffset` is where its bytes start. */
export async function readHeader(
  file: FileHandle,
  key: string,
): Promise<{ header: ObjectHeader; dataOffset: number }> {
  const prefix = await readAt(file, 0, PREFIX_BYTES);
  const json = await readAt(file, PREFIX_BYTES, headerJsonLength(prefix, key));
  return parseHeader(Buffer.concat([prefix, json]), key);
}

/** Parses the header at the start of `bytes`, an object file's first bytes or all of them. */
export function parseHeader(bytes: Buffer, key: string): { header: ObjectHeader; dataOffset: number } {
  const jsonLength = headerJsonLength(bytes, key);
  if (bytes.length < PREFIX_BYTES + jsonLength) throw new CorruptObjectError(key, 'truncated header');
  const json = bytes.subarray(PREFIX_BYTES, PREFIX_BYTES + jsonLength);
  let header: unknown;
  try {
    header = JSON.parse(json.toString('utf8'));
  } catch (error) {
    throw new CorruptObjectError(key, `header is not JSON (${String(error)})`);
  }
  if (typeof (header as Partial<ObjectHeader> | null)?.contentType !== 'string') {
    throw new CorruptObjectError(key, 'header has no content type');
  }
  return { header: header as ObjectHeader, dataOffset: PREFIX_BYTES + jsonLength };
}

/** The length of the JSON header that `prefix`, a file's first bytes, announces. */
function headerJsonLength(prefix: Buffer, key: string): number {
  if (prefix.length < PREFIX_BYTES || !prefix.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new CorruptObjectError(key, 'not written by this store (bad magic)');
  }
  const jsonLength = prefix.readUInt32BE(MAGIC.length);
  if (jsonLength > MAX_HEADER_JSON_BYTES) throw new CorruptObjectError(key, 'header too long');
  return jsonLength;
}

/** Reads up to `length` bytes at `position`; shorter only at the end of the file. */
export async function readAt(file: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await file.read(buffer, filled, length - filled, position + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return buffer.subarray(0, filled);
}
