import sharp from 'sharp';
import { UndecodableImageError } from './classifier.errors';
import { inspectImage } from './image-inspector';

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

  it('rejects bytes that are not an image with UndecodableImageError', async () => {
    await expect(inspectImage(Buffer.from('<html>not an image</html>'))).rejects.toBeInstanceOf(
      UndecodableImageError,
    );
    await expect(inspectImage(Buffer.alloc(0))).rejects.toBeInstanceOf(UndecodableImageError);
  });
});
