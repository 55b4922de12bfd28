import { DynamicModule, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { Backend, BACKEND, openBackend } from '../adapters/backend';
import { createClassifier } from '../classifier/classifier.factory';
import { OnnxClassifier } from '../classifier/onnx-classifier';
import { SystemClock } from '../clock/system-clock';
import { defaultMirrorDirs, findRepoRoot } from '../models/model-sources';
import { REQUEST_QUEUE, RESPONSE_QUEUE } from '../pipeline/queue-tokens';
import { Clock } from '../ports/clock.port';
import { ObjectStore } from '../ports/object-store.port';
import { WORKER_CONFIG, WorkerConfig } from './worker-config';
import { WorkerLoop } from './worker-loop.service';

/** Releases the model session and closes the queues when the worker ends. */
class WorkerResources implements OnApplicationShutdown {
  constructor(
    private readonly classifier: OnnxClassifier,
    @Inject(BACKEND) private readonly backend: Backend,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    await this.backend.close();
    await this.classifier.release();
  }
}

/** A worker process: the queues, the object store (of its profile) and one classifier session. */
@Module({})
export class WorkerModule {
  static forRoot(config: WorkerConfig): DynamicModule {
    const clock = new SystemClock();
    return {
      module: WorkerModule,
      providers: [
        { provide: WORKER_CONFIG, useValue: config },
        { provide: Clock, useValue: clock },
        { provide: BACKEND, useFactory: () => openBackend(config.backend, clock) },
        { provide: REQUEST_QUEUE, inject: [BACKEND], useFactory: (b: Backend) => b.requests },
        { provide: RESPONSE_QUEUE, inject: [BACKEND], useFactory: (b: Backend) => b.responses },
        { provide: ObjectStore, inject: [BACKEND], useFactory: (b: Backend) => b.objects },
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
              maxPixels: config.maxImagePixels,
            });
          },
        },
        WorkerLoop,
        WorkerResources,
      ],
    };
  }
}
