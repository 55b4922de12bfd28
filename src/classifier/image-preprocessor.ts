import sharp from 'sharp';
import { InputSpec } from '../models/model-manifest.schema';
import { UndecodableImageError } from './classifier.errors';

export const DEFAULT_MAX_PIXELS = 50_000_000;

/**
 * Turns encoded image bytes into one image's input tensor data: `3 × height × width` float32 values,
 * channel planes in `spec.channelOrder`, each value `(pixel / valueScale − mean) / std`.
 *
 * Pipeline (sharp): orient by EXIF, drop alpha, convert to 8-bit sRGB (greyscale and CMYK become
 * three channels), scale the shorter side to `resize.shorterSide` keeping the aspect ratio, keep
 * the centre square, then crop the centre `width × height`.
 *
 * @param maxPixels the largest image decoded, width × height (default 50 000 000, the upload limit's
 *   default): a decompression bomb is refused before its pixels are allocated.
 * @throws UndecodableImageError when sharp cannot decode the bytes, or the image is larger.
 */
export async function preprocessImage(
  image: Buffer,
  spec: InputSpec,
  maxPixels = DEFAULT_MAX_PIXELS,
): Promise<Float32Array> {
  const { width, height } = spec;
  const side = spec.resize.shorterSide;
  let pixels: Buffer;
  try {
    // autoOrient: phone photos store pixels sideways plus an EXIF tag; the model needs them upright.
    const { data, info } = await sharp(image, { autoOrient: true, limitInputPixels: maxPixels })
      .removeAlpha()
      .toColourspace('srgb')
      .resize(side, side, { fit: 'cover', position: 'centre', kernel: spec.resize.kernel })
      .extract({ left: (side - width) >> 1, top: (side - height) >> 1, width, height })
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3 || info.width !== width || info.height !== height) {
      throw new Error(
        `decoded to ${info.width}×${info.height}×${info.channels}, expected ${width}×${height}×3`,
      );
    }
    pixels = data;
  } catch (error) {
    throw new UndecodableImageError((error as Error).message, { cause: error });
  }
  return toPlanes(pixels, spec);
}

function toPlanes(rgb: Buffer, spec: InputSpec): Float32Array {
  const plane = spec.width * spec.height;
  const out = new Float32Array(3 * plane);
  const sourceChannels = spec.channelOrder === 'RGB' ? [0, 1, 2] : [2, 1, 0];
  sourceChannels.forEach((source, target) => {
    const scale = 1 / (spec.valueScale * spec.std[source]);
    const offset = -spec.mean[source] / spec.std[source];
    const base = target * plane;
    for (let i = 0; i < plane; i++) out[base + i] = rgb[3 * i + source] * scale + offset;
  });
  return out;
}
