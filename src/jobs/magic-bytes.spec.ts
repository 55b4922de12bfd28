import sharp from 'sharp';
import { sniffSignature } from './magic-bytes';

const canvas = () => sharp({ create: { width: 8, height: 8, channels: 3, background: '#123456' } });

describe('sniffSignature', () => {
  it.each([
    ['jpeg', () => canvas().jpeg().toBuffer()],
    ['png', () => canvas().png().toBuffer()],
    ['gif', () => canvas().gif().toBuffer()],
    ['webp', () => canvas().webp().toBuffer()],
    ['tiff', () => canvas().tiff().toBuffer()],
    ['iso-bmff', () => canvas().avif().toBuffer()],
  ])('knows a %s by its first bytes', async (signature, encode) => {
    expect(sniffSignature(await encode())).toBe(signature);
  });

  it.each([
    ['text', 'just some text'],
    ['an SVG', '<svg xmlns="http://www.w3.org/2000/svg"/>'],
    ['a PDF', '%PDF-1.7'],
    ['a ZIP', 'PK\x03\x04'],
    ['a RIFF that is not WebP', 'RIFF\x00\x00\x00\x00WAVE'],
    ['a truncated JPEG signature', '\xff\xd8'],
    ['nothing', ''],
  ])('knows none in %s', (_, text) => {
    expect(sniffSignature(Buffer.from(text, 'latin1'))).toBeUndefined();
  });
});
