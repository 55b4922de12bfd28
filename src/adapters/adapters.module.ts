import {
  DynamicModule,
  Global,
  Inject,
  Logger,
  Module,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { backendSettings, type AppConfig } from '../config/app-config';
import { DEAD_LETTER_QUEUE, REQUEST_QUEUE, RESPONSE_QUEUE } from '../pipeline/queue-tokens';
import { Checkpoint } from '../checkpoint/checkpoint';
import { Clock } from '../ports/clock.port';
import { Compute } from '../ports/compute.port';
import { EventStore } from '../ports/event-store.port';
import { ObjectStore } from '../ports/object-store.port';
import { CrashingEventStore, parseCrashPoint } from '../events/crash-point';
import { createEc2Client } from './aws/aws-clients';
import { Ec2Compute } from './aws/ec2-compute';
import { Backend, BACKEND, openBackend } from './backend';
import { DataDirLock } from './local/data-dir-lock';
import { moveLegacyObjects } from './local/legacy-objects';
import { createWorkerProcesses, localPaths } from './local/local-adapters';
import { SqliteEventStore } from './local/sqlite-event-store';
import { SqliteObjectStore } from './local/sqlite-object-store';
import { PostgresEventStore } from './postgres/postgres-event-store';
import { PostgresLeaderLease } from './postgres/postgres-leader-lease';
import { PostgresPublishedCheckpoints } from './postgres/postgres-published-checkpoints';
import { Leadership, SoleLeadership } from '../ports/leadership.port';

/** A large body's file that no object names, this old, is no put in progress but what a killed writer left. */
const ABANDONED_FILE_MS = 60 * 60_000;

/**
 * Sweeps what killed writers left beside the local object store once the control plane is up, and
 * closes the queues and releases the clients when the app shuts down.
 */
class BackendLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(AdaptersModule.name);

  constructor(
    @Inject(BACKEND) private readonly backend: Backend,
    private readonly events: EventStore,
    private readonly checkpoint: Checkpoint,
    private readonly lock: DataDirLock,
    private readonly leadership: Leadership,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!(this.backend.objects instanceof SqliteObjectStore)) return;
    const removed = await this.backend.objects.sweepOrphanFiles(ABANDONED_FILE_MS);
    if (removed > 0) this.logger.log({ msg: 'removed the files of interrupted writes', removed });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.leadership.release();
    await this.backend.close();
    this.checkpoint.close();
    await this.checkpoint.published?.close();
    await this.events.close();
    this.lock.release();
  }
}

/**
 * The adapters behind the ports, chosen by the configuration: the event log (SQLite in the data
 * folder, or PostgreSQL) and its checkpoint in the data folder (published in PostgreSQL too), the
 * queues and the object store of its profile (`local`: SQLite and files; `aws`: SQS and S3), and
 * workers as child processes (`COMPUTE=local`) or EC2 instances (`COMPUTE=ec2`).
 */
@Global()
@Module({})
export class AdaptersModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AdaptersModule,
      providers: [
        // Taken first: nothing opens the log for writing while another control plane holds it.
        { provide: DataDirLock, useFactory: () => DataDirLock.acquire(localPaths(config.dataDir).lock) },
        {
          provide: EventStore,
          inject: [Clock, DataDirLock],
          useFactory: (clock: Clock) => openEventStore(config, clock),
        },
        {
          provide: Checkpoint,
          inject: [DataDirLock, EventStore],
          useFactory: () => openCheckpoint(config),
        },
        {
          provide: BACKEND,
          inject: [Clock, DataDirLock],
          useFactory: (clock: Clock) => openBackendMovingLegacyObjects(config, clock),
        },
        { provide: Leadership, inject: [DataDirLock], useFactory: () => openLeadership(config) },
        BackendLifecycle,
        { provide: REQUEST_QUEUE, inject: [BACKEND], useFactory: (b: Backend) => b.requests },
        { provide: RESPONSE_QUEUE, inject: [BACKEND], useFactory: (b: Backend) => b.responses },
        { provide: DEAD_LETTER_QUEUE, inject: [BACKEND], useFactory: (b: Backend) => b.deadLetter },
        { provide: ObjectStore, inject: [BACKEND], useFactory: (b: Backend) => b.objects },
        { provide: Compute, inject: [Clock], useFactory: (clock: Clock) => createCompute(config, clock) },
      ],
      exports: [
        EventStore,
        Leadership,
        Checkpoint,
        REQUEST_QUEUE,
        RESPONSE_QUEUE,
        DEAD_LETTER_QUEUE,
        ObjectStore,
        Compute,
      ],
    };
  }
}

/**
 * The backend of the configuration; on the local profile, with the objects of an older data folder
 * moved into its store first (see {@link moveLegacyObjects}), before any worker or upload uses it.
 */
async function openBackendMovingLegacyObjects(config: AppConfig, clock: Clock): Promise<Backend> {
  const backend = await openBackend(backendSettings(config), clock);
  if (config.profile !== 'local') return backend;
  try {
    const moved = await moveLegacyObjects(localPaths(config.dataDir).legacyObjects, backend.objects);
    if (moved > 0) new Logger(AdaptersModule.name).log({ msg: 'moved objects into objects.db', moved });
    return backend;
  } catch (error) {
    await backend.close();
    throw error;
  }
}

/**
 * The log of the configuration (SQLite in the data folder, or PostgreSQL); with
 * `CRASH_AFTER_EVENT` set, one that kills the process at that event.
 */
async function openEventStore(config: AppConfig, clock: Clock): Promise<EventStore> {
  const { eventStore } = config;
  const store =
    eventStore.kind === 'postgres'
      ? await PostgresEventStore.open({ url: eventStore.url, schema: eventStore.schema }, clock)
      : new SqliteEventStore(localPaths(config.dataDir).events, clock);
  return config.crashAfterEvent
    ? new CrashingEventStore(store, parseCrashPoint(config.crashAfterEvent))
    : store;
}

/**
 * The checkpoint in the data folder; on PostgreSQL, taking and publishing the checkpoints kept
 * in the log's schema too.
 */
async function openCheckpoint(config: AppConfig): Promise<Checkpoint> {
  const { eventStore } = config;
  const published =
    eventStore.kind === 'postgres'
      ? await PostgresPublishedCheckpoints.open({ url: eventStore.url, schema: eventStore.schema })
      : undefined;
  return new Checkpoint(localPaths(config.dataDir).checkpoint, { published });
}

/**
 * Who leads: the only control plane of a log in the data folder; on PostgreSQL, whichever holds
 * the schema's lease.
 */
async function openLeadership(config: AppConfig): Promise<Leadership> {
  const { eventStore } = config;
  if (eventStore.kind !== 'postgres') return new SoleLeadership();
  return PostgresLeaderLease.open({
    url: eventStore.url,
    schema: eventStore.schema,
    pollMs: eventStore.leaderPollMs,
  });
}

function createCompute(config: AppConfig, clock: Clock): Compute {
  if (config.compute === 'local') return createWorkerProcesses(clock, config.workerNiceness);
  if (!config.aws || !config.ec2) throw new Error('COMPUTE=ec2 needs its AWS and EC2 configuration');
  const { ec2 } = config;
  return new Ec2Compute({
    client: createEc2Client(config.aws),
    fleetId: ec2.fleetId,
    launchTemplate: ec2.launchTemplate,
    instance: ec2.instance,
    instanceCap: ec2.instanceCap,
    clock,
  });
}
