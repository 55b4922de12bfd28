import { imageSize } from 'image-size';
import sharp, { Metadata } from 'sharp';
import { UndecodableImageError } from './classifier.errors';

/** What an image header says, for validating uploads before they are stored. */
export interface ImageInfo {
  /** sharp's format name: `jpeg`, `png`, `webp`, `gif`, `tiff`, `heif`, `avif`, `svg`, … */
  format: string;
  /** Width in pixels as displayed, i.e. after the EXIF orientation is applied. */
  width: number;
  /** Height in pixels as displayed. */
  height: number;
}

/** The formats whose headers `image-size` reads here, by its names, with sharp's. */
const READ_IN_PROCESS: Record<string, string> = { jpg: 'jpeg', png: 'png', gif: 'gif', webp: 'webp' };

/** EXIF orientations that turn the image a quarter: its displayed width is its stored height. */
const QUARTER_TURNS = new Set([5, 6, 7, 8]);

/**
 * Reads the format and dimensions from the image header without decoding the pixels, so it is cheap
 * on large uploads. A file with a valid header but corrupt pixel data passes here and fails later,
 * in classification, with the same {@link UndecodableImageError}.
 *
 * JPEG, PNG, GIF and WebP bytes are read by `image-size` on the event loop (a few µs); the other
 * formats, a file on disk, and any header it cannot read go to sharp (about 0.3 ms of CPU, most of
 * it on the thread pool), which says the same of these formats.
 *
 * @param image the bytes, or the path of a file holding them
 * @throws UndecodableImageError when the bytes are empty or not an image format sharp knows.
 */
export async function inspectImage(image: Buffer | string): Promise<ImageInfo> {
  return (Buffer.isBuffer(image) && readInProcess(image)) || readWithSharp(image);
}

/** The header of a common format read in process, or undefined to ask sharp. */
function readInProcess(image: Buffer): ImageInfo | undefined {
  let size;
  try {
    size = imageSize(image);
  } catch {
    return undefined;
  }
  const format = READ_IN_PROCESS[size.type ?? ''];
  if (!format || !size.width || !size.height) return undefined;
  const turned = QUARTER_TURNS.has(size.orientation ?? 1);
  return { format, width: turned ? size.height : size.width, height: turned ? size.width : size.height };
}

async function readWithSharp(image: Buffer | string): Promise<ImageInfo> {
  try {
    const metadata = await sharp(image).metadata();
    const { width, height } = metadata.autoOrient;
    if (!metadata.format || !width || !height) throw new Error('no format or dimensions in the header');
    return { format: formatOf(metadata), width, height };
  } catch (error) {
    throw new UndecodableImageError((error as Error).message, { cause: error });
  }
}

/**
 * sharp names every HEIF container `heif`; one whose images are AV1 is an AVIF, which sharp
 * decodes. (HEIC, HEVC inside HEIF, stays `heif`: the prebuilt sharp cannot decode it.)
 */
function formatOf({ format, compression }: Metadata): string {
  return format === 'heif' && compression === 'av1' ? 'avif' : format!;
}
