/**
 * Wraps `run` (a flush: an fsync, say) so that at most one run is under way at a time, and each
 * call resolves once a run that began after the call has ended, or rejects with that run's error.
 * The calls made while a run is under way share the next one: group commit for the disk, where
 * one flush covers every write made before it began. The callers sharing a run get its result.
 *
 * @param onIdle called whenever the last run ends with no call waiting for another.
 */
export function coalesced<T = void>(run: () => Promise<T>, onIdle?: () => void): () => Promise<T> {
  let running: Promise<T> | undefined;
  let next: Promise<T> | undefined;
  const start = (): Promise<T> => {
    const current = (async () => run())().finally(() => {
      if (running !== current) return;
      running = undefined;
      if (!next) onIdle?.();
    });
    running = current;
    return current;
  };
  return () => {
    if (next) return next;
    if (!running) return start();
    next = running
      .catch(() => undefined)
      .then(() => {
        next = undefined;
        return start();
      });
    return next;
  };
}
