import { StoredEvent } from '../ports/event-store.port';
import { Upcaster } from './upcaster';

const stored = (type: string, schemaVersion: number, data: Record<string, unknown>): StoredEvent => ({
  type,
  streamId: 'job-a',
  version: 1,
  position: 1,
  recordedAt: 0,
  schemaVersion,
  data,
});

describe('Upcaster', () => {
  const upcaster = new Upcaster({
    JobUploaded: {
      1: (data) => ({ ...data, maxAttempts: 3 }),
      2: ({ name, ...rest }) => ({ ...rest, fileName: name }),
    },
  });

  it('applies every step from the stored schema version to the current one, in order', () => {
    expect(upcaster.upcast(stored('JobUploaded', 1, { name: 'cat.jpg' }))).toMatchObject({
      schemaVersion: 3,
      data: { fileName: 'cat.jpg', maxAttempts: 3 },
    });
  });

  it('starts from the version the event was written in', () => {
    expect(upcaster.upcast(stored('JobUploaded', 2, { name: 'dog.jpg', maxAttempts: 5 })).data).toEqual({
      fileName: 'dog.jpg',
      maxAttempts: 5,
    });
  });

  it('passes current events and types without steps through unchanged', () => {
    const current = stored('JobUploaded', 3, { fileName: 'x.png', maxAttempts: 3 });
    const other = stored('JobQueued', 1, {});
    expect(upcaster.upcast(current)).toBe(current);
    expect(upcaster.upcast(other)).toBe(other);
  });
});
