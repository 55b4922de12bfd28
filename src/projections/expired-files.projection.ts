import { Injectable, OnModuleInit } from '@nestjs/common';
import { EventStore, StoredEvent } from '../ports/event-store.port';

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

/**
 * Which finished jobs' files the retention sweep has deleted, and when: read from the log's
 * `retention` stream at start, then kept up by the sweep as it records more.
 */
@Injectable()
export class ExpiredFiles implements OnModuleInit {
  private readonly deletedAt = new Map<string, number>();

  constructor(private readonly store: EventStore) {}

  async onModuleInit(): Promise<void> {
    for (const event of await this.store.readStream(RETENTION_STREAM)) this.apply(event);
  }

  /** Takes a `JobFilesDeleted` event, read back or just appended. */
  apply(event: Pick<StoredEvent, 'type' | 'data'>): void {
    if (event.type !== 'JobFilesDeleted') return;
    const { jobIds, at } = event.data as unknown as JobFilesDeleted;
    for (const jobId of jobIds) this.deletedAt.set(jobId, at);
  }

  /** When the job's files were deleted, if they were. */
  of(jobId: string): number | undefined {
    return this.deletedAt.get(jobId);
  }
}
