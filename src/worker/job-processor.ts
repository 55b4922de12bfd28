import { Logger } from '@nestjs/common';
import { OnnxClassifier } from '../classifier/onnx-classifier';
import { Prediction } from '../classifier/top-k';
import { ObjectNotFoundError } from '../object-store/object-store.errors';
import {
  decodeMessage,
  JobRequest,
  JobRequestSchema,
  MalformedMessageError,
  objectKeys,
} from '../pipeline/messages';
import { Clock, TimerHandle } from '../ports/clock.port';
import { ObjectStore } from '../ports/object-store.port';
import { Queue, QueueMessage } from '../ports/queue.port';
import { ReportBody, WorkerReporter } from './worker-reporter';

interface InHand {
  message: QueueMessage;
  request: JobRequest;
}

/** A classified job's report, and whether its request may be deleted once its output is written if it has one. */
interface Finished {
  report: ReportBody;
  done: boolean | Promise<boolean>;
}

/**
 * Classifies the jobs of one receive: report each started, read inputs, classify them in one
 * inference, write outputs while reporting results, and only then delete the requests (while the
 * next batch is already classified: see {@link JobProcessor.settled}). A job that fails
 * for a passing reason is reported and left undeleted, so the queue delivers it again (and
 * dead-letters it after the last attempt); a crash anywhere before the delete means redelivery.
 *
 * A redelivered job (received before, or released from a lost worker) may be what brought its
 * last worker down, so it is classified alone, after the others: a poison image costs its
 * batch-mates nothing. A batch that takes longer than its deadline is given up: its jobs are
 * reported failed and left for the queue to deliver again, and the worker goes on.
 */
export class JobProcessor {
  private readonly logger = new Logger(JobProcessor.name);

  constructor(
    private readonly requests: Queue,
    private readonly objects: ObjectStore,
    private readonly classifier: OnnxClassifier,
    private readonly reporter: WorkerReporter,
    private readonly clock: Clock,
    /** How long received jobs stay hidden; extended every third of it while they are worked on. */
    private readonly visibilityTimeoutMs: number,
    /** How long one batch may take before it is given up. */
    private readonly batchDeadlineMs: number,
  ) {}

  /** The jobs of the batch in hand, for heartbeats. */
  current: string[] = [];

  /**
   * The last classified batch settling: its outputs written and results reported (both on disk),
   * then its requests deleted. Never rejects.
   */
  private settling: Promise<void> = Promise.resolve();

  /** Resolves once every batch classified so far has settled. Call before the queues close. */
  settled(): Promise<void> {
    return this.settling;
  }

  async process(messages: QueueMessage[]): Promise<void> {
    const jobs: InHand[] = [];
    for (const message of messages) {
      try {
        jobs.push({ message, request: decodeMessage(JobRequestSchema, message.body) });
      } catch (error) {
        if (!(error instanceof MalformedMessageError)) throw error;
        this.logger.error(`Dropped malformed request ${message.id}: ${error.message}`);
        await this.requests.delete(message.receiptHandle);
      }
    }
    if (jobs.length === 0) return;
    this.current = jobs.map((job) => job.request.jobId);
    const received = performance.now();
    const inHand = new Set(jobs);
    const extender = this.keepHidden(inHand);
    // Sent while the inputs are read and classified: the reporter keeps it ahead of the results.
    const started = this.reporter.send(
      ...jobs.map(({ request, message }) => ({
        kind: 'jobStarted' as const,
        jobId: request.jobId,
        attempt: message.receiveCount,
        receiptHandle: message.receiptHandle,
      })),
    );
    started.catch(() => undefined);
    try {
      const suspect = (job: InHand) => job.message.receiveCount > 1 || job.request.alone === true;
      const firstDeliveries = jobs.filter((job) => !suspect(job));
      const redelivered = jobs.filter(suspect);
      for (const batch of [firstDeliveries, ...redelivered.map((job) => [job])]) {
        if (batch.length > 0) await this.withinDeadline(batch, received, inHand, started);
      }
    } finally {
      this.current = [];
      // Hidden until their batch has settled (deleted, or left to come back), not only until classified.
      void this.settling.then(() => extender.cancel());
    }
  }

  /** Classifies a batch, or gives it up at its deadline: its jobs come back through the queue. */
  private async withinDeadline(
    batch: InHand[],
    received: number,
    inHand: Set<InHand>,
    started: Promise<void>,
  ): Promise<void> {
    let timer: TimerHandle | undefined;
    const deadline = new Promise<'late'>((resolve) => {
      timer = this.clock.setTimer(this.batchDeadlineMs, () => resolve('late'));
    });
    const work = this.classifyAll(batch, received, started);
    const outcome = await Promise.race([work.then(() => 'done' as const), deadline]).finally(() =>
      timer?.cancel(),
    );
    if (outcome === 'done') return;
    const jobIds = batch.map((job) => job.request.jobId);
    batch.forEach((job) => inHand.delete(job));
    this.logger.error({ msg: 'batch given up at its deadline', jobIds, deadlineMs: this.batchDeadlineMs });
    // The work cannot be cancelled; if it ever ends, its results are duplicates the machines ignore.
    work.catch((error) => this.logger.warn(`Given-up batch ended with: ${(error as Error).message}`));
    const reason = `the batch took longer than ${this.batchDeadlineMs} ms; given up`;
    await this.reporter.send(...jobIds.map((jobId) => ({ kind: 'jobFailed' as const, jobId, reason })));
    await Promise.allSettled(
      batch.map(({ message }) => this.requests.changeVisibility(message.receiptHandle, 0)),
    );
  }

  /**
   * Classifies a batch and hands its results to the reporter; the batch then settles while the
   * next one is received and classified (see {@link settle}). At most one batch settles behind the
   * one classifying: the next waits for it before it reports.
   * @param started the send of the jobs' `jobStarted` reports: the results go only after it succeeded.
   */
  private async classifyAll(jobs: InHand[], received: number, started: Promise<void>): Promise<void> {
    const inputs = await Promise.allSettled(jobs.map(({ request }) => this.objects.get(request.inputKey)));
    const readable = jobs.filter((_, i) => inputs[i].status === 'fulfilled');
    const outcomes = await this.classifier.classifyBatch(
      inputs.flatMap((input) => (input.status === 'fulfilled' ? [input.value] : [])),
    );

    const finished = jobs.map((job, i): Finished => {
      const { jobId } = job.request;
      const input = inputs[i];
      if (input.status === 'rejected') {
        // A missing input will never appear; any other read error may pass, so the job is left to come back.
        const missing = input.reason instanceof ObjectNotFoundError;
        const reason = `input: ${(input.reason as Error).message}`;
        const kind = missing ? 'jobRejected' : 'jobFailed';
        return { report: { kind, jobId, reason }, done: missing };
      }
      const outcome = outcomes[readable.indexOf(job)];
      if (!outcome.ok)
        return { report: { kind: 'jobRejected', jobId, reason: outcome.error.message }, done: true };
      const [best] = outcome.predictions;
      const report = {
        kind: 'jobClassified' as const,
        jobId,
        label: best.label,
        top5: outcome.predictions,
        serviceMs: (performance.now() - received) / jobs.length,
      };
      return { report, done: this.writeOutput(jobId, report) };
    });
    await this.settling;
    await started;
    // Sent before this batch's call returns, so any report the worker makes next goes after it.
    const reported = this.reporter.send(...finished.map((f) => f.report));
    // Kept with any other still settling: a batch given up at its deadline may end meanwhile.
    const settling = this.settle(jobs, finished, reported);
    this.settling = Promise.all([this.settling, settling]).then(() => undefined);
  }

  /**
   * Deletes the requests of a classified batch once its outputs are written and its results
   * reported, each on disk. The worker does not wait for that to take its next batch: the flushes
   * it waits for would leave its core idle. A crash before a delete delivers the request again,
   * which repeats a result the job's machine ignores; a failure leaves the requests to come back
   * after their visibility timeout.
   */
  private async settle(jobs: InHand[], finished: Finished[], reported: Promise<void>): Promise<void> {
    const jobIds = jobs.map((job) => job.request.jobId);
    try {
      const [done] = await Promise.all([Promise.all(finished.map((f) => f.done)), reported]);
      this.logger.log({
        msg: 'batch done',
        workerId: this.reporter.workerId,
        jobIds,
        outcomes: finished.map((f) => f.report.kind),
      });
      const deletable = jobs.filter((_, i) => done[i]).map((job) => job.message.receiptHandle);
      for (let i = 0; i < deletable.length; i += 10)
        await this.requests.deleteBatch(deletable.slice(i, i + 10));
    } catch (error) {
      this.logger.error({
        msg: 'batch not settled; its requests come back after their visibility timeout',
        jobIds,
        reason: (error as Error).message,
      });
    }
  }

  /**
   * Writes a job's result to the output store while its report is sent: nothing in the service
   * reads outputs back, so the report need not wait for the write. Resolves false when the write
   * failed: the job is then left undeleted, delivered again, and its output written then (the
   * repeated report is one the job's machine ignores).
   */
  private async writeOutput(jobId: string, report: { label: string; top5: Prediction[] }): Promise<boolean> {
    const result = { jobId, label: report.label, top5: report.top5, classifiedAt: this.clock.now() };
    try {
      await this.objects.put(objectKeys.output(jobId), Buffer.from(JSON.stringify(result)), {
        contentType: 'application/json',
      });
      return true;
    } catch (error) {
      this.logger.warn(
        `Output of ${jobId} not written, left for another delivery: ${(error as Error).message}`,
      );
      return false;
    }
  }

  /** Extends the visibility of the jobs in hand until cancelled, once their batch has settled (`jobs` may shrink meanwhile). */
  private keepHidden(jobs: ReadonlySet<InHand>): { cancel(): void } {
    const extend = () => {
      for (const { message } of jobs) {
        this.requests
          .changeVisibility(message.receiptHandle, this.visibilityTimeoutMs)
          .catch((error) =>
            this.logger.warn(`Visibility of ${message.id} not extended: ${(error as Error).message}`),
          );
      }
      timer = this.clock.setTimer(this.visibilityTimeoutMs / 3, extend);
    };
    let timer: TimerHandle = this.clock.setTimer(this.visibilityTimeoutMs / 3, extend);
    return { cancel: () => timer.cancel() };
  }
}
