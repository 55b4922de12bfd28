/** Longest file name kept, in UTF-8 bytes (the usual file-system limit). */
export const MAX_FILE_NAME_BYTES = 255;

/** The name given to an upload whose name is empty once cleaned. */
export const UNNAMED_UPLOAD = 'upload';

// C0 and C1 controls, and the 66 Unicode non-characters (U+FDD0–U+FDEF and the last two code
// points of every plane): none belongs in a name, and queues such as SQS refuse some of them.
const unwanted = (codePoint: number) =>
  codePoint <= 0x1f ||
  (codePoint >= 0x7f && codePoint <= 0x9f) ||
  (codePoint >= 0xfdd0 && codePoint <= 0xfdef) ||
  (codePoint & 0xfffe) === 0xfffe;

// Spreading a string yields a pair as one code point, so a surrogate left alone was unpaired.
const isLoneSurrogate = (codePoint: number) => codePoint >= 0xd800 && codePoint <= 0xdfff;

/**
 * The file name an upload is recorded with: what the client sent, made safe to store, show and
 * send on a queue. Raw UTF-8 bytes that the multipart parser read as Latin-1 are read as UTF-8
 * again; lone surrogates become U+FFFD; controls and non-characters are removed; surrounding
 * spaces trimmed; the result cut to {@link MAX_FILE_NAME_BYTES} bytes (keeping a short extension)
 * and never empty ({@link UNNAMED_UPLOAD}). Pure.
 */
export function cleanFileName(sent: string): string {
  const kept = [...asUtf8(sent)]
    .map((c) => (isLoneSurrogate(c.codePointAt(0)!) ? '\ufffd' : c))
    .filter((c) => !unwanted(c.codePointAt(0)!));
  const cleaned = kept.join('').trim();
  return truncate(cleaned) || UNNAMED_UPLOAD;
}

// A browser sends a name's UTF-8 bytes as they are; read as Latin-1 each byte became one char.
function asUtf8(name: string): string {
  const codePoints = [...name].map((c) => c.codePointAt(0)!);
  if (!codePoints.some((c) => c >= 0x80) || codePoints.some((c) => c > 0xff)) return name;
  const decoded = Buffer.from(name, 'latin1').toString('utf8');
  return decoded.includes('\ufffd') ? name : decoded;
}

function truncate(name: string): string {
  const bytes = (s: string) => Buffer.byteLength(s, 'utf8');
  if (bytes(name) <= MAX_FILE_NAME_BYTES) return name;
  const dot = name.lastIndexOf('.');
  const extension = dot > 0 && name.length - dot <= 16 ? name.slice(dot) : '';
  const stem = [...name.slice(0, name.length - extension.length)];
  while (stem.length > 0 && bytes(stem.join('') + extension) > MAX_FILE_NAME_BYTES) stem.pop();
  return (stem.join('') + extension).trim();
}
