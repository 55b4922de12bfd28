import sharp from 'sharp';
import { InputSpec } from '../models/model-manifest.schema';
import { UndecodableImageError } from './classifier.errors';
import { preprocessImage } from './image-preprocessor';

const spec: InputSpec = {
  name: 'input',
  dtype: 'float32',
  layout: 'NCHW',
  width: 8,
  height: 8,
  channelOrder: 'RGB',
  resize: { shorterSide: 16, crop: 'centre', kernel: 'linear' },
  valueScale: 255,
  mean: [0.5, 0.5, 0.5],
  std: [0.5, 0.5, 0.5],
};
const plane = spec.width * spec.height;

function solid(width: number, height: number, r: number, g: number, b: number, channels: 3 | 4 = 3) {
  return sharp({ create: { width, height, channels, background: { r, g, b, alpha: 1 } } });
}

/** Distinct values of one channel plane, rounded to 4 decimals. */
function planeValues(tensor: Float32Array, channel: number): number[] {
  const values = tensor.subarray(channel * plane, (channel + 1) * plane);
  return [...new Set(Array.from(values, (v) => Math.round(v * 1e4) / 1e4))];
}

describe('preprocessImage', () => {
  it('writes three planes of (pixel / valueScale − mean) / std in RGB order', async () => {
    const png = await solid(20, 30, 255, 0, 51).png().toBuffer();
    const tensor = await preprocessImage(png, spec);
    expect(tensor).toHaveLength(3 * plane);
    expect(planeValues(tensor, 0)).toEqual([1]);
    expect(planeValues(tensor, 1)).toEqual([-1]);
    expect(planeValues(tensor, 2)).toEqual([Math.round((51 / 127.5 - 1) * 1e4) / 1e4]);
  });

  it('applies per-channel mean and std, and swaps the planes for BGR models', async () => {
    const png = await solid(16, 16, 255, 0, 0).png().toBuffer();
    const bgr: InputSpec = { ...spec, channelOrder: 'BGR', mean: [0.4, 0.5, 0.6], std: [0.2, 0.25, 0.3] };
    const tensor = await preprocessImage(png, bgr);
    expect(planeValues(tensor, 0)).toEqual([-2]); // blue: (0 − 0.6) / 0.3
    expect(planeValues(tensor, 1)).toEqual([-2]); // green: (0 − 0.5) / 0.25
    expect(planeValues(tensor, 2)).toEqual([3]); // red: (1 − 0.4) / 0.2
  });

  it('keeps the aspect ratio and crops the centre instead of squashing a wide image', async () => {
    // 64×16: red | green (middle half) | blue. Shorter side 16 → centre 16×16 lies in the green band.
    const red = await solid(16, 16, 255, 0, 0).png().toBuffer();
    const blue = await solid(16, 16, 0, 0, 255).png().toBuffer();
    const strip = await solid(64, 16, 0, 255, 0)
      .composite([
        { input: red, left: 0, top: 0 },
        { input: blue, left: 48, top: 0 },
      ])
      .png()
      .toBuffer();
    const tensor = await preprocessImage(strip, spec);
    expect(planeValues(tensor, 0)).toEqual([-1]);
    expect(planeValues(tensor, 1)).toEqual([1]);
    expect(planeValues(tensor, 2)).toEqual([-1]);
  });

  it('turns greyscale and RGBA images into three channels', async () => {
    const grey = await solid(10, 10, 128, 128, 128).toColourspace('b-w').jpeg().toBuffer();
    expect((await sharp(grey).metadata()).channels).toBe(1);
    const rgba = await solid(10, 10, 0, 0, 255, 4).png().toBuffer();
    expect((await sharp(rgba).metadata()).channels).toBe(4);

    const greyTensor = await preprocessImage(grey, spec);
    const rgbaTensor = await preprocessImage(rgba, spec);
    expect(greyTensor).toHaveLength(3 * plane);
    expect(planeValues(rgbaTensor, 2)).toEqual([1]);
  });

  it('rejects bytes that are not an image with UndecodableImageError', async () => {
    await expect(preprocessImage(Buffer.from('definitely not an image'), spec)).rejects.toBeInstanceOf(
      UndecodableImageError,
    );
    await expect(preprocessImage(Buffer.alloc(0), spec)).rejects.toBeInstanceOf(UndecodableImageError);
  });

  it('rejects a truncated JPEG with UndecodableImageError', async () => {
    const jpeg = await solid(64, 64, 10, 200, 30).jpeg().toBuffer();
    const truncated = jpeg.subarray(0, Math.floor(jpeg.length / 2));
    await expect(preprocessImage(truncated, spec)).rejects.toBeInstanceOf(UndecodableImageError);
  });

  it('refuses an image over its pixel limit before decoding it, and takes one at the limit', async () => {
    const png = await solid(100, 100, 10, 200, 30).png().toBuffer();
    await expect(preprocessImage(png, spec, 9_999)).rejects.toThrow(/exceeds pixel limit/);
    await expect(preprocessImage(png, spec, 9_999)).rejects.toBeInstanceOf(UndecodableImageError);
    await expect(preprocessImage(png, spec, 10_000)).resolves.toBeInstanceOf(Float32Array);
  });
});
