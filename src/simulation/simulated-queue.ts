import { BacklogCounts } from '../fleet/scaling-loop';
import { Clock } from '../ports/clock.port';

/** A message handed to a worker. */
export interface Delivery {
  jobId: string;
  /** 1 on the first delivery, 2 after one redelivery, … */
  receiveCount: number;
}

/**
 * The request queue, in memory, with SQS's semantics as far as scaling sees them: a received
 * message is in flight until its worker deletes it; if the worker dies holding it, it stays in
 * flight until the visibility timeout runs out and is then visible again. Roughly FIFO.
 */
export class SimulatedQueue {
  private visibleIds: string[] = [];
  private head = 0;
  private readonly inFlightIds = new Set<string>();
  private readonly receives = new Map<string, number>();
  private sentCount = 0;
  private deletedCount = 0;
  /** Called whenever a message becomes visible (a waiting worker may take it). */
  onVisible: () => void = () => {};

  constructor(
    private readonly clock: Clock,
    private readonly visibilityTimeoutMs: number,
  ) {}

  /** Sends the request message of a job. */
  send(jobId: string): string {
    this.sentCount++;
    this.visibleIds.push(jobId);
    this.onVisible();
    return `m-${jobId}`;
  }

  /** Takes the oldest visible message, if any; it is in flight from now on. */
  receive(): Delivery | undefined {
    if (this.head >= this.visibleIds.length) return undefined;
    const jobId = this.visibleIds[this.head++];
    if (this.head > 1024 && this.head * 2 > this.visibleIds.length) {
      this.visibleIds = this.visibleIds.slice(this.head);
      this.head = 0;
    }
    this.inFlightIds.add(jobId);
    const receiveCount = (this.receives.get(jobId) ?? 0) + 1;
    this.receives.set(jobId, receiveCount);
    return { jobId, receiveCount };
  }

  /** The worker is done with the message: it leaves the queue. */
  delete(jobId: string): void {
    if (!this.inFlightIds.delete(jobId)) throw new Error(`Delete of ${jobId}, which is not in flight`);
    this.deletedCount++;
  }

  /** The worker holding the message died: it is visible again once the visibility timeout runs out. */
  abandon(jobId: string): void {
    if (!this.inFlightIds.has(jobId)) throw new Error(`Abandon of ${jobId}, which is not in flight`);
    this.clock.setTimer(this.visibilityTimeoutMs, () => {
      this.inFlightIds.delete(jobId);
      this.visibleIds.push(jobId);
      this.onVisible();
    });
  }

  /** What the controller's backlog callback reads. */
  counts(): BacklogCounts {
    return { visible: this.visibleIds.length - this.head, inFlight: this.inFlightIds.size };
  }

  /** Messages sent, deleted, and deliveries beyond the first (redeliveries). */
  totals(): { sent: number; deleted: number; redelivered: number } {
    let redelivered = 0;
    for (const count of this.receives.values()) redelivered += count - 1;
    return { sent: this.sentCount, deleted: this.deletedCount, redelivered };
  }
}
