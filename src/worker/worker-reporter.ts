import { Queue } from '../ports/queue.port';
import { Clock } from '../ports/clock.port';
import { MAX_REPORTS_PER_MESSAGE, WorkerReport, WorkerReports } from '../pipeline/messages';

/** A report as the worker writes it; the reporter adds the worker id, sequence number and time. */
export type ReportBody = WorkerReport extends infer R
  ? R extends WorkerReport
    ? Omit<R, 'v' | 'workerId' | 'seq' | 'at'>
    : never
  : never;

/**
 * Sends this worker's reports on the response queue, numbered so the control plane can drop stale
 * ones. Numbers start above the process's start time in ms × 1000, so a process that starts again
 * under the same worker id (systemd restarts a crashed worker on its instance) numbers above
 * anything its predecessor sent, and its start report tells the control plane it restarted.
 */
export class WorkerReporter {
  private seq: number;
  /** The sends under way, chained: each message goes after the one before it has settled. */
  private sending: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly responses: Queue,
    readonly workerId: string,
    private readonly clock: Clock,
  ) {
    this.seq = clock.now() * 1000;
  }

  /**
   * Sends the reports in as few messages as the size limit allows, after every report sent
   * before (so a caller need not wait for one send before it starts the next: the order holds).
   * Resolves once these reports are sent; rejects if their send failed.
   */
  send(...bodies: ReportBody[]): Promise<void> {
    const reports = bodies.map(
      (body) =>
        ({ v: 1, workerId: this.workerId, seq: ++this.seq, at: this.clock.now(), ...body }) as WorkerReport,
    );
    const sent = this.sending.then(async () => {
      for (let i = 0; i < reports.length; i += MAX_REPORTS_PER_MESSAGE) {
        const message: WorkerReports = { v: 1, reports: reports.slice(i, i + MAX_REPORTS_PER_MESSAGE) };
        await this.responses.send(JSON.stringify(message));
      }
    });
    this.sending = sent.catch(() => undefined);
    return sent;
  }
}
