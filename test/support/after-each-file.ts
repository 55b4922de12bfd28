import { killTracked } from './spawned';

// Whatever a test file spawned must not outlive it, even when an assertion failed half-way.
afterAll(() => killTracked());
