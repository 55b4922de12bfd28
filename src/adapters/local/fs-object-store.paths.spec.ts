import {
  directoryName,
  objectFileName,
  segmentOfDirectory,
  segmentOfObjectFile,
  temporaryFileName,
} from './fs-object-store.paths';

const SEGMENTS = ['a', 'a%', '%25', 'x%y', 'photo.jpg', 'café', '%'];

describe('fs object store paths', () => {
  it.each(SEGMENTS)('a file and a directory made from %j decode back to it', (segment) => {
    expect(segmentOfObjectFile(objectFileName(segment))).toBe(segment);
    expect(segmentOfDirectory(directoryName(segment))).toBe(segment);
  });

  it('never gives a file and a directory the same name', () => {
    const files = SEGMENTS.map(objectFileName);
    const directories = SEGMENTS.map(directoryName);
    expect(files.filter((name) => directories.includes(name))).toEqual([]);
    expect(new Set(files).size).toBe(SEGMENTS.length);
  });

  it('does not read a temporary file as an object or a directory', () => {
    const name = temporaryFileName();
    expect(segmentOfObjectFile(name)).toBeNull();
    expect(segmentOfDirectory(name)).toBeNull();
  });
});
