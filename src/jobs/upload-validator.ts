import { inspectImage } from '../classifier/image-inspector';
import { sniffSignature } from './magic-bytes';
import { UploadedFile, uploadStart } from './uploaded-file';
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

/** Enough of a file's start for every signature {@link sniffSignature} knows. */
const SIGNATURE_BYTES = 16;

/**
 * Checks an uploaded file is really an image the service takes, within the byte and pixel
 * limits, by its first bytes and then its header (what the client claims about the type is not
 * trusted). Reads only those, never the whole file.
 * @throws NotAnImageError, UnsupportedImageFormatError, ImageTooLargeError — each with a reason.
 */
export async function validateImage(
  file: Pick<UploadedFile, 'buffer' | 'path' | 'size'>,
  limits: { maxBytes: number; maxPixels: number },
): Promise<ValidatedImage> {
  if (file.size === 0) throw new NotAnImageError('The file is empty');
  if (file.size > limits.maxBytes) {
    throw new ImageTooLargeError(`The file has ${file.size} bytes; the limit is ${limits.maxBytes}`);
  }
  if (!sniffSignature(await uploadStart(file, SIGNATURE_BYTES))) {
    throw new NotAnImageError(
      'The file is not an image in an accepted format (by its first bytes); use one of ' +
        ACCEPTED_FORMATS.join(', '),
    );
  }
  let info;
  try {
    info = await inspectImage(file.buffer ?? file.path!);
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
