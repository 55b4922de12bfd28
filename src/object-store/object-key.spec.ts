import {
  assertValidObjectKey,
  assertValidObjectKeyPrefix,
  MAX_OBJECT_KEY_BYTES,
  MAX_OBJECT_KEY_SEGMENT_BYTES,
} from './object-key';
import { InvalidObjectKeyError } from './object-store.errors';

function refusal(check: () => void): InvalidObjectKeyError | undefined {
  try {
    check();
  } catch (error) {
    if (error instanceof InvalidObjectKeyError) return error;
    throw error;
  }
  return undefined;
}

describe('assertValidObjectKey', () => {
  it.each(['a', 'inputs/2026/job-1.jpg', 'a.b/..c/d..', '.hidden/x', 'café/😀', '100%', 'x'.repeat(250)])(
    'accepts %j',
    (key) => {
      expect(refusal(() => assertValidObjectKey(key))).toBeUndefined();
    },
  );

  it.each([
    ['../x', '".." segment'],
    ['a/../../b', '".." segment'],
    ['./x', '"." segment'],
    ['/abs', 'empty segment'],
    ['a//b', 'empty segment'],
    ['a/', 'empty segment'],
    ['', 'empty'],
    ['a\\b', 'backslash'],
    ['a\u0000b', 'control character'],
    ['a\u007fb', 'control character'],
    ['a\udc00', 'well-formed'],
    ['x'.repeat(MAX_OBJECT_KEY_SEGMENT_BYTES + 1), 'segment is longer'],
    [`${'x'.repeat(200)}/`.repeat(5) + 'x'.repeat(MAX_OBJECT_KEY_BYTES - 1000), 'longer than 1024 bytes'],
  ])('refuses %j (%s) with a 400 InvalidObjectKeyError', (key, reason) => {
    const error = refusal(() => assertValidObjectKey(key));
    expect(error).toMatchObject({ code: 'invalid_object_key', httpStatus: 400, key });
    expect(error?.message).toContain(reason);
  });

  it('counts the limit in UTF-8 bytes, not characters', () => {
    const twoByteSegment = 'é'.repeat(126);
    expect(twoByteSegment.length).toBeLessThan(MAX_OBJECT_KEY_SEGMENT_BYTES);
    expect(refusal(() => assertValidObjectKey(twoByteSegment))).toBeInstanceOf(InvalidObjectKeyError);
  });

  it('keeps control characters out of the error message', () => {
    expect(refusal(() => assertValidObjectKey('a\nb'))?.message).not.toContain('\n');
  });
});

describe('assertValidObjectKeyPrefix', () => {
  it.each(['', 'inputs/', 'inputs/jo', 'a/.', 'a/..b', '.'])('accepts %j', (prefix) => {
    expect(refusal(() => assertValidObjectKeyPrefix(prefix))).toBeUndefined();
  });

  it.each(['../', 'a/../b', '/abs', 'a//', 'a\u0000', 'a\\b'])('refuses %j', (prefix) => {
    expect(refusal(() => assertValidObjectKeyPrefix(prefix))).toBeInstanceOf(InvalidObjectKeyError);
  });
});
