import { submissionJobId } from './submissions';

describe('submissionJobId', () => {
  const fingerprint = 'f'.repeat(64);

  it('is a UUID of version 8, the same for the same key, files and place', () => {
    const id = submissionJobId('batch-1', fingerprint, 0);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(submissionJobId('batch-1', fingerprint, 0)).toBe(id);
  });

  it('differs with the key, the files or the place of the file', () => {
    const ids = new Set([
      submissionJobId('batch-1', fingerprint, 0),
      submissionJobId('batch-2', fingerprint, 0),
      submissionJobId('batch-1', 'e'.repeat(64), 0),
      submissionJobId('batch-1', fingerprint, 1),
    ]);
    expect(ids.size).toBe(4);
  });
});
