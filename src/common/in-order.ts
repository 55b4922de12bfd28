/**
 * Items that finish out of order, handed on in the order they came: each once it and every item
 * before it have finished. An item that never finishes holds back all after it.
 */
export class InOrder<T> {
  private readonly waiting: Array<{ item: T; finished: boolean }> = [];

  /** @param release called with each item, in order, once it and all before it have finished. */
  constructor(private readonly release: (item: T) => void) {}

  /** Adds an item; returns the call that says it has finished. */
  add(item: T): () => void {
    const entry = { item, finished: false };
    this.waiting.push(entry);
    return () => {
      entry.finished = true;
      while (this.waiting[0]?.finished) this.release(this.waiting.shift()!.item);
    };
  }
}
