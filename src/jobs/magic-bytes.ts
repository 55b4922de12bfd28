/**
 * The container an upload's first bytes announce, by the signatures of the formats the service
 * takes (and ISO-BMFF, AVIF's container, whose brand sharp reads next): checked before any
 * decoder sees the bytes, so that text, archives, SVG and the like never reach one.
 */
export type Signature = 'jpeg' | 'png' | 'gif' | 'webp' | 'tiff' | 'iso-bmff';

const ascii = (bytes: Buffer, at: number, text: string) =>
  bytes.length >= at + text.length && bytes.toString('latin1', at, at + text.length) === text;

/** The signature the bytes start with, if any of the accepted ones. */
export function sniffSignature(bytes: Buffer): Signature | undefined {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  if (ascii(bytes, 0, '\x89PNG\r\n\x1a\n')) return 'png';
  if (ascii(bytes, 0, 'GIF87a') || ascii(bytes, 0, 'GIF89a')) return 'gif';
  if (ascii(bytes, 0, 'RIFF') && ascii(bytes, 8, 'WEBP')) return 'webp';
  if (ascii(bytes, 0, 'II*\x00') || ascii(bytes, 0, 'MM\x00*')) return 'tiff';
  if (ascii(bytes, 4, 'ftyp')) return 'iso-bmff';
  return undefined;
}
