import { Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { filter, Subscription } from 'rxjs';
import Database from 'better-sqlite3';
import { ActorHost } from '../actors/actor-host.service';
import { CheckpointPart } from '../checkpoint/checkpoint';
import { EventStore, StoredEvent } from '../ports/event-store.port';
import { JobsProjection } from './jobs.projection';

/** The stream of `JobFilesDeleted` events the retention sweep appends; no machine owns it. */
export const RETENTION_STREAM = 'retention';

/** The data of a `JobFilesDeleted` event. */
export interface JobFilesDeleted {
  /** The jobs whose input and output were deleted. */
  jobIds: string[];
  /** Jobs that ended before this time (ms since the epoch) were due. */
  endedBefore: number;
  at: number;
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS retention_read (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
  );
`;

/**
 * Folds the log's `retention` stream into the jobs read model (each job's `filesDeletedAt`): at
 * start, its events after the last one the checkpoint took; then each one the sweep appends.
 * Events are counted by their version in the stream.
 */
@Injectable()
export class ExpiredFiles implements CheckpointPart, OnApplicationBootstrap, OnModuleDestroy {
  readonly schema = SCHEMA;
  private version = 0;
  private written = 0;
  private save?: Database.Statement<[number]>;
  private following?: Subscription;

  constructor(
    private readonly store: EventStore,
    private readonly jobs: JobsProjection,
    private readonly host: ActorHost,
  ) {
    host.checkpoint.add(this);
  }

  restore(db: Database.Database): void {
    this.save = db.prepare('INSERT OR REPLACE INTO retention_read (id, version) VALUES (1, ?)');
    const row = db.prepare('SELECT version FROM retention_read WHERE id = 1').get() as
      { version: number } | undefined;
    this.version = this.written = row?.version ?? 0;
  }

  write(): void {
    if (this.version === this.written) return;
    this.save?.run(this.version);
    this.written = this.version;
  }

  /**
   * Once the host has folded the log (so every job has its row), takes the events after the
   * checkpoint's; on a log other control planes append to, then follows the stream, since the
   * sweep that appends to it runs on the leader.
   */
  async onApplicationBootstrap(): Promise<void> {
    const from = await this.store.lastPosition();
    for (const event of await this.store.readStream(RETENTION_STREAM, this.version + 1)) this.apply(event);
    if (!this.store.shared) return;
    this.following = this.store
      .subscribe(from)
      .pipe(filter((event) => event.streamId === RETENTION_STREAM))
      .subscribe((event) => this.apply(event));
  }

  onModuleDestroy(): void {
    this.following?.unsubscribe();
  }

  /** Takes a `JobFilesDeleted` event, read back or just appended. */
  apply(event: Pick<StoredEvent, 'type' | 'data' | 'version'>): void {
    if (event.version <= this.version) return;
    this.version = event.version;
    if (event.type === 'JobFilesDeleted') {
      const { jobIds, at } = event.data as unknown as JobFilesDeleted;
      this.jobs.markFilesDeleted(jobIds, at);
    }
    this.host.checkpoint.schedule();
  }
}
