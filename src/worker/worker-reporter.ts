import { Queue } from '../ports/queue.port';
import { Clock } from '../ports/clock.port';
import { WorkerReport } from '../pipeline/messages';

type ReportBody = WorkerReport extends infer R
  ? R extends WorkerReport
    ? Omit<R, 'v' | 'workerId' | 'seq' | 'at'>
    : never
  : never;

/** Sends this worker's reports on the response queue, numbered so the control plane can drop stale ones. */
export class WorkerReporter {
  private seq = 0;

  constructor(
    private readonly responses: Queue,
    private readonly workerId: string,
    private readonly clock: Clock,
  ) {}

  /** Sends the reports in order, in batches of at most 10. */
  async send(...bodies: ReportBody[]): Promise<void> {
    const messages = bodies.map((body) =>
      JSON.stringify({ v: 1, workerId: this.workerId, seq: ++this.seq, at: this.clock.now(), ...body }),
    );
    for (let i = 0; i < messages.length; i += 10) await this.responses.sendBatch(messages.slice(i, i + 10));
  }
}
