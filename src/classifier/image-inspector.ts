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

/**
 * Reads the format and dimensions from the image header without decoding the pixels, so it is cheap
 * on large uploads. A file with a valid header but corrupt pixel data passes here and fails later,
 * in classification, with the same {@link UndecodableImageError}.
 *
 * @param image the bytes, or the path of a file holding them
 * @throws UndecodableImageError when the bytes are empty or not an image format sharp knows.
 */
export async function inspectImage(image: Buffer | string): Promise<ImageInfo> {
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
