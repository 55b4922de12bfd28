/**
 * The receipt handles a queue adapter issued most recently, oldest forgotten first. SQS refuses a
 * handle of a message since deleted with the same error as a string it never issued; remembering
 * what this process received tells the two apart.
 */
export class RecentHandles {
  private readonly handles = new Set<string>();

  /** @param capacity how many handles to remember (at least 1) */
  constructor(private readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`The number of remembered handles must be a positive integer, got ${capacity}`);
    }
  }

  add(handle: string): void {
    this.handles.delete(handle);
    this.handles.add(handle);
    if (this.handles.size > this.capacity) this.handles.delete(this.handles.values().next().value!);
  }

  has(handle: string): boolean {
    return this.handles.has(handle);
  }
}
