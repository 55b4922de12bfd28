import { KeyedQueue } from '../common/keyed-queue';

/** A command waiting for its stream's turn, and how to answer whoever dispatched it. */
export interface Waiting<C, R> {
  command: C;
  resolve(result: R): void;
  reject(error: unknown): void;
}

/**
 * Runs the commands dispatched to each stream in turns of `turns`, one turn at a time per stream
 * and in the order the commands came; a turn takes every command that arrived while the turns
 * before it ran, so that they are decided and appended together: one commit and one flush where
 * one each per command would be (a worker's report of a batch of four jobs is four events of its
 * stream at once). A command dispatched to an idle stream waits for nothing but the commands
 * dispatched beside it in the same tick.
 */
export class StreamBatches<C, R> {
  private readonly waiting = new Map<string, Array<Waiting<C, R>>>();

  /**
   * @param turns the streams' turns, which other work of a stream may take too.
   * @param take decides a turn's commands and answers each of them.
   */
  constructor(
    private readonly turns: KeyedQueue,
    private readonly take: (streamId: string, batch: Array<Waiting<C, R>>) => Promise<void>,
  ) {}

  /** Resolves or rejects as the turn that takes `command` answers it. */
  add(streamId: string, command: C): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const batch = this.waiting.get(streamId);
      if (batch) {
        batch.push({ command, resolve, reject });
        return;
      }
      this.waiting.set(streamId, [{ command, resolve, reject }]);
      void this.turns.run(streamId, async () => {
        const taken = this.waiting.get(streamId)!;
        this.waiting.delete(streamId);
        await this.take(streamId, taken).catch((error: unknown) => taken.forEach((w) => w.reject(error)));
      });
    });
  }
}
