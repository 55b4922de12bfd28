import { ActorHost } from '../actors/actor-host.service';

/**
 * Keeps the simulation's own asynchronous steps (worker reports, controller ticks) until they
 * settle, so virtual time moves only once everything due at the current instant has happened.
 */
export class Tracker {
  private readonly pending = new Set<Promise<void>>();
  readonly errors: unknown[] = [];

  /** Runs `work` to its end; a failure is kept in {@link errors}, never lost. */
  readonly track = (work: Promise<unknown>): void => {
    const kept: Promise<void> = work
      .then(() => undefined)
      .catch((error: unknown) => void this.errors.push(error))
      .finally(() => this.pending.delete(kept));
    this.pending.add(kept);
  };

  /** Resolves once no tracked step and no effect of the host is running. */
  async settle(host: ActorHost): Promise<void> {
    do {
      await Promise.all(this.pending);
      await host.settle();
    } while (this.pending.size > 0);
  }
}
