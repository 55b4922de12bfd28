/**
 * Runs work one at a time per key, in the order it was asked for; work under different keys runs
 * side by side. A failure is the caller's alone: the next work of the key still runs.
 */
export class KeyedQueue {
  private readonly tails = new Map<string, Promise<unknown>>();

  /** Runs `work` once every earlier work of `key` has settled; resolves or rejects as it does. */
  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.catch(() => undefined).then(work);
    const settled = result.catch(() => undefined);
    this.tails.set(key, settled);
    void settled.then(() => {
      if (this.tails.get(key) === settled) this.tails.delete(key);
    });
    return result;
  }

  /** Resolves once the work asked for so far has settled, under every key. */
  async idle(): Promise<void> {
    while (this.tails.size > 0) await Promise.all(this.tails.values());
  }

  /** Whether any work is waiting or running. */
  get busy(): boolean {
    return this.tails.size > 0;
  }
}
