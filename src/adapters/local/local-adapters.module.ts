import { Global, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { join } from 'node:path';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { findRepoRoot } from '../../models/model-sources';
import { DEAD_LETTER_QUEUE, REQUEST_QUEUE, RESPONSE_QUEUE } from '../../pipeline/queue-tokens';
import { Clock } from '../../ports/clock.port';
import { Compute } from '../../ports/compute.port';
import { ObjectStore } from '../../ports/object-store.port';
import { openLocalObjectStore, openLocalQueues } from './local-adapters';
import { ProcessCompute } from './process-compute';

const LOCAL_QUEUES = Symbol('LocalQueues');
type LocalQueues = ReturnType<typeof openLocalQueues>;

/** Closes the queue files when the app shuts down. */
class LocalQueuesCloser implements OnApplicationShutdown {
  constructor(@Inject(LOCAL_QUEUES) private readonly queues: LocalQueues) {}

  async onApplicationShutdown(): Promise<void> {
    await Promise.all(Object.values(this.queues).map((queue) => queue.close()));
  }
}

/**
 * The embedded default's adapters: SQLite queues, a folder of objects, and workers as child
 * processes running the built worker entry (`dist/src/worker.js`).
 */
@Global()
@Module({
  providers: [
    {
      provide: LOCAL_QUEUES,
      inject: [APP_CONFIG, Clock],
      useFactory: (config: AppConfig, clock: Clock) =>
        openLocalQueues(config.dataDir, config.maxAttempts, clock),
    },
    LocalQueuesCloser,
    { provide: REQUEST_QUEUE, inject: [LOCAL_QUEUES], useFactory: (q: LocalQueues) => q.requests },
    { provide: RESPONSE_QUEUE, inject: [LOCAL_QUEUES], useFactory: (q: LocalQueues) => q.responses },
    { provide: DEAD_LETTER_QUEUE, inject: [LOCAL_QUEUES], useFactory: (q: LocalQueues) => q.deadLetter },
    {
      provide: ObjectStore,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => openLocalObjectStore(config.dataDir),
    },
    {
      provide: Compute,
      inject: [Clock],
      useFactory: (clock: Clock) => {
        const root = findRepoRoot(__dirname);
        return new ProcessCompute({ args: [join(root, 'dist', 'src', 'worker.js')], cwd: root, clock });
      },
    },
  ],
  exports: [REQUEST_QUEUE, RESPONSE_QUEUE, DEAD_LETTER_QUEUE, ObjectStore, Compute],
})
export class LocalAdaptersModule {}
