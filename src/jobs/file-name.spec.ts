import { cleanFileName, MAX_FILE_NAME_BYTES, UNNAMED_UPLOAD } from './file-name';

describe('cleanFileName', () => {
  it('keeps an ordinary name, Unicode included', () => {
    expect(cleanFileName('cat.jpg')).toBe('cat.jpg');
    expect(cleanFileName('Straße – 猫 🐈.jpeg')).toBe('Straße – 猫 🐈.jpeg');
  });

  it('removes control characters and Unicode non-characters, which no queue or log should carry', () => {
    expect(cleanFileName('\uffffa.jpg')).toBe('a.jpg');
    expect(cleanFileName('a\u0000b\u001b[31m\u007f\u0085.jpg')).toBe('ab[31m.jpg');
    expect(cleanFileName('x\ufdd0\ufffe\u{1fffe}\u{10ffff}.png')).toBe('x.png');
  });

  it('reads raw UTF-8 bytes that arrived as Latin-1 as UTF-8, and leaves real Latin-1 alone', () => {
    expect(cleanFileName(Buffer.from('café.jpg', 'utf8').toString('latin1'))).toBe('café.jpg');
    expect(cleanFileName('café.jpg')).toBe('café.jpg');
  });

  it('replaces a lone surrogate and never answers an empty name', () => {
    expect(cleanFileName('a\ud800.jpg')).toBe('a\ufffd.jpg');
    expect(cleanFileName('')).toBe(UNNAMED_UPLOAD);
    expect(cleanFileName(' \u0001\uffff ')).toBe(UNNAMED_UPLOAD);
  });

  it(`cuts a long name to ${MAX_FILE_NAME_BYTES} bytes on a character boundary, keeping its extension`, () => {
    const cut = cleanFileName(`${'猫'.repeat(200)}.jpeg`);
    expect(Buffer.byteLength(cut)).toBeLessThanOrEqual(MAX_FILE_NAME_BYTES);
    expect(cut).toMatch(/^猫+\.jpeg$/);
    expect(cleanFileName('a'.repeat(1000))).toBe('a'.repeat(MAX_FILE_NAME_BYTES));
  });
});
