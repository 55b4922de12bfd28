import type { StoredEvent } from '../ports/event-store.port';
import { workerIdFor } from './fleet-effects';
import { randomLaunchNonce } from './scaling-loop';

const decision = (data: Record<string, unknown>): StoredEvent => ({
  streamId: 'controller',
  type: 'ScalingDecided',
  version: 7,
  schemaVersion: 1,
  position: 42,
  recordedAt: 1_796_000_000_000,
  data,
});

describe('worker ids', () => {
  it('carry the scale-out’s 80 random bits, the same each time the scale-out runs', () => {
    const nonce = randomLaunchNonce();
    expect(nonce).toMatch(/^[0-9a-f]{20}$/);
    expect(randomLaunchNonce()).not.toBe(nonce);
    const event = decision({ launchNonce: nonce });
    expect(workerIdFor(event, 0)).toBe(`w-${nonce}-0`);
    expect(workerIdFor(event, 1)).toBe(`w-${nonce}-1`);
    expect(workerIdFor(event, 1)).toBe(workerIdFor(decision({ launchNonce: nonce }), 1));
  });

  it('keep the old names for decisions recorded before scale-outs had a nonce', () => {
    expect(workerIdFor(decision({}), 2)).toBe(`w-${(1_796_000_000_000).toString(36)}-${(42).toString(36)}-2`);
  });
});
