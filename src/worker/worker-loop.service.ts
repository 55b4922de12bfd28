import { Inject, Injectable, Logger } from '@nestjs/common';
import { OnnxClassifier } from '../classifier/onnx-classifier';
import { REQUEST_QUEUE, RESPONSE_QUEUE } from '../pipeline/queue-tokens';
import { PollLoop, startPollLoop } from '../pipeline/poll-loop';
import { Clock, TimerHandle } from '../ports/clock.port';
import { ObjectStore } from '../ports/object-store.port';
import { Queue } from '../ports/queue.port';
import { fillBatch } from './batch-filler';
import { JobProcessor } from './job-processor';
import { WORKER_CONFIG, WorkerConfig } from './worker-config';
import { WorkerReporter } from './worker-reporter';

/**
 * How long the queue must stay empty after a batch before the worker reports it has nothing to do.
 * A client sending one image at a time gives it the next about 10 ms after its last result: at 0,
 * each job cost the control plane one more report, event and commit (about 3 ms of its CPU, on the
 * path of the next upload). On SQS a receive waits whole seconds: there, one.
 */
const EMPTY_AFTER_MS = 100;

/**
 * A worker's life: announce itself, then take batches of jobs until told to stop, reporting a
 * heartbeat meanwhile. `drain()` takes nothing new, lets the batch in hand finish, and says goodbye.
 */
@Injectable()
export class WorkerLoop {
  private readonly logger = new Logger(WorkerLoop.name);
  private readonly reporter: WorkerReporter;
  private readonly processor: JobProcessor;
  private loop?: PollLoop;
  private heartbeat?: TimerHandle;

  constructor(
    @Inject(WORKER_CONFIG) private readonly config: WorkerConfig,
    @Inject(REQUEST_QUEUE) private readonly requests: Queue,
    @Inject(RESPONSE_QUEUE) responses: Queue,
    objects: ObjectStore,
    private readonly classifier: OnnxClassifier,
    private readonly clock: Clock,
  ) {
    this.reporter = new WorkerReporter(responses, config.workerId, clock);
    this.processor = new JobProcessor(
      requests,
      objects,
      classifier,
      this.reporter,
      clock,
      this.config.visibilityTimeoutMs,
      this.config.batchDeadlineMs,
    );
  }

  async start(): Promise<void> {
    await this.reporter.send({
      kind: 'workerStarted',
      instanceId: this.config.instanceId,
      modelId: this.classifier.manifest.id,
    });
    this.beat();
    this.loop = startPollLoop({
      queue: this.requests,
      maxMessages: this.config.batchSize,
      waitTimeMs: 2000,
      visibilityTimeoutMs: this.config.visibilityTimeoutMs,
      handle: async (messages) =>
        this.processor.process(
          await fillBatch(this.requests, messages, this.clock, {
            batchSize: this.config.batchSize,
            waitMs: this.config.batchWaitMs,
            visibilityTimeoutMs: this.config.visibilityTimeoutMs,
          }),
        ),
      // Idle the moment it is (give or take EMPTY_AFTER_MS), not after the idle timeout: at a
      // burst's end the controller can stop it now.
      emptyAfterMs: EMPTY_AFTER_MS,
      onEmpty: () => {
        this.reporter
          .send({ kind: 'queueEmpty' })
          .catch((error) => this.logger.warn(`Empty-queue report not sent: ${(error as Error).message}`));
      },
      logger: this.logger,
    });
    this.logger.log({
      msg: 'worker started',
      workerId: this.config.workerId,
      model: this.classifier.manifest.id,
    });
  }

  async drain(): Promise<void> {
    this.logger.log({
      msg: 'worker draining',
      workerId: this.config.workerId,
      jobIds: this.processor.current,
    });
    await this.loop?.stop();
    await this.processor.settled();
    this.heartbeat?.cancel();
    await this.reporter.send({ kind: 'workerStopping' }).catch(() => undefined);
  }

  private beat(): void {
    this.heartbeat = this.clock.setTimer(this.config.heartbeatMs, () => {
      this.reporter
        .send({ kind: 'heartbeat' })
        .catch((error) => this.logger.warn(`Heartbeat not sent: ${(error as Error).message}`))
        .finally(() => this.beat());
    });
  }
}
