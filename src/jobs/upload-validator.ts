import { inspectImage } from '../classifier/image-inspector';
import { sniffSignature } from './magic-bytes';
import { ImageTooLargeError, NotAnImageError, UnsupportedImageFormatError } from './upload.errors';

/** Formats the classifier decodes; SVG and the rest are refused at the door. */
export const ACCEPTED_FORMATS = ['jpeg', 'png', 'webp', 'gif', 'tiff', 'avif'] as const;

const CONTENT_TYPES: Record<string, string> = {
  jpeg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
  gif: 'image/gif',
  tiff: 'image/tiff',
  avif: 'image/avif',
};

export interface ValidatedImage {
  format: string;
  contentType: string;
  width: number;
  height: number;
}

/**
 * Checks an upload is really an image the service takes, within the byte and pixel limits, by
 * its first bytes and then its header (what the client claims about the type is not trusted).
 * @throws NotAnImageError, UnsupportedImageFormatError, ImageTooLargeError — each with a reason.
 */
export async function validateImage(
  bytes: Buffer,
  limits: { maxBytes: number; maxPixels: number },
): Promise<ValidatedImage> {
  if (bytes.length === 0) throw new NotAnImageError('The file is empty');
  if (bytes.length > limits.maxBytes) {
    throw new ImageTooLargeError(`The file has ${bytes.length} bytes; the limit is ${limits.maxBytes}`);
  }
  if (!sniffSignature(bytes)) {
    throw new NotAnImageError(
      'The file is not an image in an accepted format (by its first bytes); use one of ' +
        ACCEPTED_FORMATS.join(', '),
    );
  }
  let info;
  try {
    info = await inspectImage(bytes);
  } catch {
    throw new NotAnImageError('The file is not an image that can be decoded');
  }
  if (!(ACCEPTED_FORMATS as readonly string[]).includes(info.format)) {
    throw new UnsupportedImageFormatError(
      `Images in ${info.format} format are not accepted; use one of ${ACCEPTED_FORMATS.join(', ')}`,
    );
  }
  const pixels = info.width * info.height;
  if (pixels > limits.maxPixels) {
    throw new ImageTooLargeError(
      `The image has ${info.width}×${info.height} = ${pixels} pixels; the limit is ${limits.maxPixels}`,
    );
  }
  return {
    format: info.format,
    contentType: CONTENT_TYPES[info.format],
    width: info.width,
    height: info.height,
  };
}
