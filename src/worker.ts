import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { createLogger } from './common/logging';
import { loadWorkerConfig } from './worker/worker-config';
import { WorkerLoop } from './worker/worker-loop.service';
import { WorkerModule } from './worker/worker.module';

/**
 * Worker entry, a Nest standalone context: loads the model once, then classifies jobs from the
 * request queue until SIGTERM (or until its parent control plane is gone), finishing the batch in
 * hand before it exits 0.
 */
async function main(): Promise<void> {
  const config = loadWorkerConfig();
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config), {
    logger: createLogger(),
  });
  const loop = app.get(WorkerLoop);
  await loop.start();

  let stopping = false;
  const stop = async (why: string) => {
    if (stopping) return;
    stopping = true;
    new Logger('worker').log({ msg: 'stopping', workerId: config.workerId, why });
    await loop.drain();
    await app.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  // A worker launched as a child process must not outlive a control plane that died without asking it to stop.
  const parent = process.ppid;
  setInterval(() => process.ppid !== parent && void stop('parent exited'), 1000).unref();
  // Our output is piped to the parent: when it dies, writes fail with EPIPE. Unhandled, that error
  // would crash the worker mid-batch and strand its jobs until their visibility lapses; instead the
  // worker drains like on SIGTERM, and further log lines are dropped.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') throw error;
      void stop('output pipe closed');
    });
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
