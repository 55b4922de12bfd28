import { DynamicModule, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { openLocalObjectStore, openLocalQueues } from '../adapters/local/local-adapters';
import { createClassifier } from '../classifier/classifier.factory';
import { OnnxClassifier } from '../classifier/onnx-classifier';
import { SystemClock } from '../clock/system-clock';
import { defaultMirrorDirs, findRepoRoot } from '../models/model-sources';
import { REQUEST_QUEUE, RESPONSE_QUEUE } from '../pipeline/queue-tokens';
import { Clock } from '../ports/clock.port';
import { ObjectStore } from '../ports/object-store.port';
import { Queue } from '../ports/queue.port';
import { WORKER_CONFIG, WorkerConfig } from './worker-config';
import { WorkerLoop } from './worker-loop.service';

/** Releases the model session and closes the queues when the worker ends. */
class WorkerResources implements OnApplicationShutdown {
  constructor(
    private readonly classifier: OnnxClassifier,
    @Inject(REQUEST_QUEUE) private readonly requests: Queue,
    @Inject(RESPONSE_QUEUE) private readonly responses: Queue,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([this.requests.close(), this.responses.close()]);
    await this.classifier.release();
  }
}

/** A worker process: the queues, the object store and one classifier session. */
@Module({})
export class WorkerModule {
  static forRoot(config: WorkerConfig): DynamicModule {
    const clock = new SystemClock();
    const queues = openLocalQueues(config.dataDir, config.maxAttempts, clock);
    return {
      module: WorkerModule,
      providers: [
        { provide: WORKER_CONFIG, useValue: config },
        { provide: Clock, useValue: clock },
        { provide: REQUEST_QUEUE, useValue: queues.requests },
        { provide: RESPONSE_QUEUE, useValue: queues.responses },
        { provide: ObjectStore, useValue: openLocalObjectStore(config.dataDir) },
        {
          provide: OnnxClassifier,
          useFactory: () => {
            const repoRoot = findRepoRoot(__dirname);
            const env = config.modelMirror ? { MODEL_MIRROR: config.modelMirror } : {};
            return createClassifier({
              repoRoot,
              modelId: config.model,
              mirrorDirs: defaultMirrorDirs(repoRoot, env),
              intraOpNumThreads: config.threads,
              maxBatchSize: config.batchSize,
            });
          },
        },
        WorkerLoop,
        WorkerResources,
      ],
    };
  }
}
