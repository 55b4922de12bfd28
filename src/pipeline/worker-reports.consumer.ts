import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ActorHost, Command } from '../actors/actor-host.service';
import { UnknownActorError } from '../actors/actor-host.errors';
import { JOB, WORKER } from '../actors/actor-kinds';
import { Leadership } from '../ports/leadership.port';
import { Queue, QueueMessage } from '../ports/queue.port';
import {
  decodeMessage,
  JobRequestSchema,
  MalformedMessageError,
  WorkerReport,
  WorkerReportsSchema,
} from './messages';
import { FleetInstances } from '../fleet/fleet-instances';
import { DEAD_LETTER_QUEUE, RESPONSE_QUEUE } from './queue-tokens';
import { PollLoop, startPollLoop } from './poll-loop';

/** The events one worker report stands for, stream by stream (worker first, then job). */
function eventsOfReport(report: WorkerReport): Array<[string, Command]> {
  const worker = WORKER.streamId(report.workerId);
  const seen = { seq: report.seq, at: report.at };
  switch (report.kind) {
    case 'workerStarted':
      return [
        [worker, { type: 'WorkerStarted', instanceId: report.instanceId, modelId: report.modelId, ...seen }],
      ];
    case 'heartbeat':
      return [[worker, { type: 'WorkerHeartbeat', ...seen }]];
    case 'queueEmpty':
      return [[worker, { type: 'WorkerQueueEmpty', ...seen }]];
    case 'workerStopping':
      return [
        [worker, { type: 'WorkerTerminationRequested', reason: 'the worker is stopping', at: report.at }],
      ];
    case 'jobStarted':
      return [
        [
          worker,
          {
            type: 'WorkerJobsStarted',
            jobs: [{ jobId: report.jobId, receiptHandle: report.receiptHandle }],
            ...seen,
          },
        ],
        [
          JOB.streamId(report.jobId),
          { type: 'JobAttemptStarted', workerId: report.workerId, attempt: report.attempt, at: report.at },
        ],
      ];
    case 'jobClassified':
      return [
        [worker, { type: 'WorkerJobsFinished', jobIds: [report.jobId], ...seen }],
        [
          JOB.streamId(report.jobId),
          {
            type: 'JobClassified',
            workerId: report.workerId,
            label: report.label,
            top5: report.top5,
            serviceMs: report.serviceMs,
            at: report.at,
          },
        ],
      ];
    case 'jobRejected':
      return [
        [worker, { type: 'WorkerJobsFinished', jobIds: [report.jobId], ...seen }],
        [JOB.streamId(report.jobId), { type: 'JobRejected', reason: report.reason, at: report.at }],
      ];
    case 'jobFailed':
      return [
        [worker, { type: 'WorkerJobsFinished', jobIds: [report.jobId], ...seen }],
        [
          JOB.streamId(report.jobId),
          { type: 'JobAttemptFailed', workerId: report.workerId, reason: report.reason, at: report.at },
        ],
      ];
  }
}

/** Worker events that one event stands for when they follow each other in a stream. */
const BATCHED: Record<string, (into: Command, next: Command) => void> = {
  WorkerJobsStarted: (into, next) => (into.jobs as unknown[]).push(...(next.jobs as unknown[])),
  WorkerJobsFinished: (into, next) => (into.jobIds as unknown[]).push(...(next.jobIds as unknown[])),
};

/**
 * The events a message's reports stand for, stream by stream. A worker's job starts (or
 * finishes) that follow each other in its stream are one event, as the worker took (or
 * finished) them in one batch: its time and sequence number are the last report's.
 */
export function eventsOfReports(reports: WorkerReport[]): Array<[string, Command]> {
  const events: Array<[string, Command]> = [];
  const lastOfStream = new Map<string, Command>();
  for (const [streamId, command] of reports.flatMap(eventsOfReport)) {
    const last = lastOfStream.get(streamId);
    const merge = BATCHED[command.type];
    if (last && merge && last.type === command.type) {
      merge(last, command);
      Object.assign(last, { seq: command.seq, at: command.at });
      continue;
    }
    events.push([streamId, command]);
    lastOfStream.set(streamId, command);
  }
  return events;
}

/**
 * Consumes what workers report on the response queue, and what the request queue dead-letters,
 * turning each into events for the machines. A message is deleted once its events are recorded
 * (or refused for good: malformed, or about an actor that does not exist); anything else is left
 * to come back after its visibility timeout.
 */
@Injectable()
export class WorkerReportsConsumer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(WorkerReportsConsumer.name);
  private loops: PollLoop[] = [];
  private stopped = false;

  constructor(
    private readonly host: ActorHost,
    @Inject(RESPONSE_QUEUE) private readonly responses: Queue,
    @Inject(DEAD_LETTER_QUEUE) private readonly deadLetters: Queue,
    private readonly fleet: FleetInstances,
    private readonly leadership: Leadership,
  ) {}

  /** Consuming is the leader's: it starts once this control plane leads. */
  onApplicationBootstrap(): Promise<void> {
    return this.leadership.whenLeading(() => this.start());
  }

  private start(): void {
    if (this.stopped) return;
    this.loops = [
      startPollLoop({ queue: this.responses, handle: (batch) => this.onReports(batch) }),
      startPollLoop({
        queue: this.deadLetters,
        handle: (batch) => this.settle(this.deadLetters, batch, (m) => this.onDeadLetter(m)),
      }),
    ];
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.loops.map((loop) => loop.stop()));
  }

  private async settle(
    queue: Queue,
    batch: QueueMessage[],
    handle: (m: QueueMessage) => Promise<void>,
  ): Promise<void> {
    const done: string[] = [];
    for (const message of batch) {
      try {
        await handle(message);
        done.push(message.receiptHandle);
      } catch (error) {
        if (error instanceof MalformedMessageError || error instanceof UnknownActorError) {
          this.logger.warn(`Dropped message ${message.id} from ${queue.name}: ${error.message}`);
          done.push(message.receiptHandle);
        } else {
          this.logger.error(
            `Message ${message.id} from ${queue.name} will be retried: ${(error as Error).message}`,
          );
        }
      }
    }
    if (done.length > 0) await queue.deleteBatch(done);
  }

  /**
   * Records a batch of report messages. Every dispatch is issued at once, in message order: the
   * host keeps that order within each stream and runs different streams side by side, so the
   * batch's appends share commits. A message is done when each of its events was recorded, or
   * refused for good.
   */
  private async onReports(batch: QueueMessage[]): Promise<void> {
    const handled = batch.map((message) => {
      try {
        const { reports } = decodeMessage(WorkerReportsSchema, message.body);
        const commands = eventsOfReports(reports.filter((report) => this.fromTheFleet(message, report)));
        return {
          message,
          results: Promise.allSettled(
            commands.map(([streamId, command]) => this.host.dispatch(streamId, command)),
          ),
          commands,
        };
      } catch (error) {
        return { message, error };
      }
    });
    const done: string[] = [];
    for (const { message, results, commands, error } of handled) {
      if (error) {
        this.logger.warn(
          `Dropped message ${message.id} from ${this.responses.name}: ${(error as Error).message}`,
        );
        done.push(message.receiptHandle);
        continue;
      }
      const failures = (await results!)
        .map((result, i) => ({ result, streamId: commands![i][0] }))
        .filter(({ result }) => result.status === 'rejected')
        .map(({ result, streamId }) => ({
          streamId,
          reason: (result as PromiseRejectedResult).reason as Error,
        }));
      // Events about an actor that does not exist can never be recorded: an unknown worker (launched by an earlier host) or job.
      const retryable = failures.filter(({ reason }) => !(reason instanceof UnknownActorError));
      failures
        .filter(({ reason }) => reason instanceof UnknownActorError && !reason.message.includes('worker-'))
        .forEach(({ reason }) =>
          this.logger.warn(`Report in message ${message.id} refused: ${reason.message}`),
        );
      if (retryable.length === 0) done.push(message.receiptHandle);
      else this.logger.error(`Message ${message.id} will be retried: ${retryable[0].reason.message}`);
    }
    if (done.length > 0) await this.responses.deleteBatch(done);
  }

  /**
   * Whether a report may be recorded: a worker's start must name the instance this fleet launched
   * for it, so that nothing outside the fleet can pass for one of its workers.
   */
  private fromTheFleet(message: QueueMessage, report: WorkerReport): boolean {
    if (report.kind !== 'workerStarted' || this.fleet.owns(report.workerId, report.instanceId)) return true;
    this.logger.warn(
      `Report in message ${message.id} refused: instance ${report.instanceId} is not the one this fleet launched for worker ${report.workerId}`,
    );
    return false;
  }

  private async onDeadLetter(message: QueueMessage): Promise<void> {
    const request = decodeMessage(JobRequestSchema, message.body);
    await this.host.dispatch(JOB.streamId(request.jobId), {
      type: 'JobDeadLettered',
      reason: 'no result after the most deliveries allowed (dead-lettered)',
    });
  }
}
