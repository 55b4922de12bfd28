/** How many actors are in each state, per kind. */
export type Counts = Record<string, number>;

/**
 * Counts the actors of each kind in each state, kept from their state changes one at a time, so a
 * count is never recomputed over every actor. An actor in parallel states counts once in each.
 */
export class StateCensus {
  private readonly statesOf = new Map<string, string[]>();
  private readonly byKind = new Map<string, Map<string, number>>();

  /**
   * Records that actor `streamId` of `kind` is now in `states`; true when a count changed. An
   * actor in no state is gone (a finished one that left memory), and forgotten.
   */
  record(kind: string, streamId: string, states: string[]): boolean {
    const before = this.statesOf.get(streamId) ?? [];
    if (before.length === states.length && before.every((s, i) => s === states[i])) return false;
    const counts = this.byKind.get(kind) ?? new Map<string, number>();
    this.byKind.set(kind, counts);
    before.forEach((state) => counts.set(state, (counts.get(state) ?? 0) - 1));
    states.forEach((state) => counts.set(state, (counts.get(state) ?? 0) + 1));
    if (states.length === 0) this.statesOf.delete(streamId);
    else this.statesOf.set(streamId, states);
    return true;
  }

  /** Actors of `kind` per state; states no actor is in are left out. */
  counts(kind: string): Counts {
    const counts: Counts = {};
    this.byKind.get(kind)?.forEach((n, state) => {
      if (n > 0) counts[state] = n;
    });
    return counts;
  }

  /** Actors of `kind` in any of `states`. */
  total(kind: string, states: readonly string[]): number {
    const counts = this.byKind.get(kind);
    return states.reduce((sum, state) => sum + (counts?.get(state) ?? 0), 0);
  }
}
