import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { datasetImages } from '../../test/support/paths';
import { UndecodableImageError } from './classifier.errors';
import { inspectImage } from './image-inspector';

/** Calls made to sharp since the count was last reset (sharp itself, counted). */
const mockSharpCalls = { count: 0 };
jest.mock('sharp', () => {
  const actual = jest.requireActual<(...args: unknown[]) => unknown>('sharp');
  const counted = (...args: unknown[]) => {
    mockSharpCalls.count++;
    return actual(...args);
  };
  return { __esModule: true, default: Object.assign(counted, actual) };
});

const canvas = (width: number, height: number) =>
  sharp({ create: { width, height, channels: 3, background: { r: 200, g: 100, b: 50 } } });

describe('inspectImage', () => {
  it('reports format, width and height of a JPEG and a PNG', async () => {
    await expect(inspectImage(await canvas(40, 30).jpeg().toBuffer())).resolves.toEqual({
      format: 'jpeg',
      width: 40,
      height: 30,
    });
    await expect(inspectImage(await canvas(7, 9).png().toBuffer())).resolves.toEqual({
      format: 'png',
      width: 7,
      height: 9,
    });
  });

  it('names an AVIF avif, though sharp reports its container as heif', async () => {
    await expect(inspectImage(await canvas(64, 48).avif().toBuffer())).resolves.toEqual({
      format: 'avif',
      width: 64,
      height: 48,
    });
  });

  it('reports the displayed size of a photo stored sideways with an EXIF orientation', async () => {
    const sideways = await canvas(40, 30).withMetadata({ orientation: 6 }).jpeg().toBuffer();
    await expect(inspectImage(sideways)).resolves.toEqual({ format: 'jpeg', width: 30, height: 40 });
  });

  it('reads the same header from bytes (in process for the common formats) as sharp does from a file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'inspect-'));
    try {
      const samples: Array<[string, Buffer]> = [
        ['jpeg', await canvas(40, 30).jpeg().toBuffer()],
        ['sideways jpeg', await canvas(40, 30).withMetadata({ orientation: 8 }).jpeg().toBuffer()],
        ['png', await canvas(7, 9).png().toBuffer()],
        ['gif', await canvas(12, 5).gif().toBuffer()],
        ['webp', await canvas(33, 21).webp().toBuffer()],
        ['lossless webp', await canvas(33, 21).webp({ lossless: true }).toBuffer()],
        ['tiff', await canvas(8, 6).tiff().toBuffer()],
        ...datasetImages('ilsvrc2012-val-sample')
          .slice(0, 50)
          .map((path): [string, Buffer] => [path, readFileSync(path)]),
      ];
      for (const [name, bytes] of samples) {
        const file = join(dir, 'image');
        writeFileSync(file, bytes);
        expect([name, await inspectImage(bytes)]).toEqual([name, await inspectImage(file)]);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads the headers of JPEG, PNG, GIF and WebP bytes without sharp, and of TIFF and AVIF with it', async () => {
    const common = [
      await canvas(40, 30).jpeg().toBuffer(),
      await canvas(7, 9).png().toBuffer(),
      await canvas(12, 5).gif().toBuffer(),
      await canvas(33, 21).webp().toBuffer(),
    ];
    const others = [await canvas(8, 6).tiff().toBuffer(), await canvas(64, 48).avif().toBuffer()];
    mockSharpCalls.count = 0;
    for (const bytes of common) await inspectImage(bytes);
    expect(mockSharpCalls.count).toBe(0);
    for (const bytes of others) await inspectImage(bytes);
    expect(mockSharpCalls.count).toBe(2);
  });

  it('rejects bytes that are not an image with UndecodableImageError', async () => {
    await expect(inspectImage(Buffer.from('<html>not an image</html>'))).rejects.toBeInstanceOf(
      UndecodableImageError,
    );
    await expect(inspectImage(Buffer.alloc(0))).rejects.toBeInstanceOf(UndecodableImageError);
    // A JPEG's first bytes and nothing after them: no header to read in process or by sharp.
    await expect(inspectImage(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10]))).rejects.toBeInstanceOf(
      UndecodableImageError,
    );
  });
});
