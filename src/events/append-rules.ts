import { ExpectedVersion } from '../ports/event-store.port';

/** Default page size of {@link EventStore.readAll}. */
export const DEFAULT_PAGE_SIZE = 10_000;

/** Whether a stream at `current` satisfies `expected` (shared by every adapter, so they agree). */
export function checkExpectedVersion(expected: ExpectedVersion, current: number): boolean {
  if (expected === 'any') return true;
  if (expected === 'no_stream') return current === 0;
  return expected === current;
}
