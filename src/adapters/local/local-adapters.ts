import { join } from 'node:path';
import { findRepoRoot } from '../../models/model-sources';
import { Clock } from '../../ports/clock.port';
import { QUEUE_NAMES, REQUEST_VISIBILITY_TIMEOUT_MS } from '../../pipeline/queue-tokens';
import { ProcessCompute } from './process-compute';
import { SystemClock } from '../../clock/system-clock';
import { readWholeLog } from '../../events/read-whole-log';
import { StoredEvent } from '../../ports/event-store.port';
import { SqliteEventStore } from './sqlite-event-store';
import { SqliteObjectStore } from './sqlite-object-store';
import { SqliteQueue } from './sqlite-queue';

/** Where the embedded default keeps its state under DATA_DIR. Every process derives the same paths. */
export const localPaths = (dataDir: string) => ({
  events: join(dataDir, 'events.db'),
  /** What folding the log made so far (see `Checkpoint`); rebuilt from the log when missing. */
  checkpoint: join(dataDir, 'checkpoint.db'),
  /** Held by the control plane while it runs, so that the log has one writer (see `DataDirLock`). */
  lock: join(dataDir, 'control-plane.lock'),
  queues: join(dataDir, 'queues.db'),
  /** Inputs and outputs (see `SqliteObjectStore`), and the folder for its large bodies. */
  objects: join(dataDir, 'objects.db'),
  largeObjects: join(dataDir, 'large-objects'),
  /** Where versions before `objects.db` kept one file per object; moved into it at the first start. */
  legacyObjects: join(dataDir, 'objects'),
});

/** The three queues in one SQLite file; requests go to the dead-letter queue after `maxAttempts` deliveries. */
export function openLocalQueues(dataDir: string, maxAttempts: number, clock: Clock) {
  const file = localPaths(dataDir).queues;
  return {
    requests: new SqliteQueue(
      {
        file,
        name: QUEUE_NAMES.requests,
        visibilityTimeoutMs: REQUEST_VISIBILITY_TIMEOUT_MS,
        redrive: { deadLetterQueue: QUEUE_NAMES.deadLetter, maxReceiveCount: maxAttempts },
      },
      clock,
    ),
    responses: new SqliteQueue({ file, name: QUEUE_NAMES.responses }, clock),
    deadLetter: new SqliteQueue({ file, name: QUEUE_NAMES.deadLetter }, clock),
  };
}

/** The input and output objects, in DATA_DIR/objects.db (large bodies beside it). */
export function openLocalObjectStore(dataDir: string): SqliteObjectStore {
  const paths = localPaths(dataDir);
  return new SqliteObjectStore({ file: paths.objects, largeBodiesDir: paths.largeObjects });
}

/**
 * Workers as child processes of this one, running the built worker entry (`dist/src/worker.js`),
 * `niceness` steps below this process's CPU priority (see `ProcessComputeOptions.niceness`).
 */
export function createWorkerProcesses(clock: Clock, niceness = 0): ProcessCompute {
  const root = findRepoRoot(__dirname);
  // Workers answer no request: the control plane's keys are none of their business.
  const { API_KEYS: _api, ADMIN_KEYS: _admin, ...baseEnv } = process.env;
  return new ProcessCompute({
    args: [join(root, 'dist', 'src', 'worker.js')],
    cwd: root,
    clock,
    baseEnv,
    niceness,
  });
}

/** Every event of a data folder's log, read by a connection of its own (for tools and tests). */
export async function readLocalEventLog(dataDir: string): Promise<StoredEvent[]> {
  const store = new SqliteEventStore(localPaths(dataDir).events, new SystemClock());
  try {
    return await readWholeLog(store);
  } finally {
    await store.close();
  }
}
