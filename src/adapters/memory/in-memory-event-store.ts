import { Observable, Subject } from 'rxjs';
import { Clock } from '../../ports/clock.port';
import {
  AppendResult,
  EventStore,
  ExpectedVersion,
  NewEvent,
  ReadAllOptions,
  StoredEvent,
  StreamVersionConflictError,
} from '../../ports/event-store.port';
import { catchUpThenLive } from '../../events/catch-up';
import { checkExpectedVersion, DEFAULT_PAGE_SIZE } from '../../events/append-rules';

/** An event store in process memory: for tests and the scaling simulator. Passes the same contract as SQLite. */
export class InMemoryEventStore extends EventStore {
  private readonly log: StoredEvent[] = [];
  private readonly versions = new Map<string, number>();
  private readonly live = new Subject<StoredEvent>();

  constructor(private readonly clock: Clock) {
    super();
  }

  async append(
    streamId: string,
    events: NewEvent[],
    expectedVersion: ExpectedVersion,
  ): Promise<AppendResult> {
    const current = this.versions.get(streamId) ?? 0;
    if (!checkExpectedVersion(expectedVersion, current)) {
      throw new StreamVersionConflictError(streamId, expectedVersion, current);
    }
    const recordedAt = this.clock.now();
    const stored = events.map<StoredEvent>((event, i) => ({
      type: event.type,
      streamId,
      version: current + i + 1,
      position: this.log.length + i + 1,
      recordedAt,
      schemaVersion: event.schemaVersion ?? 1,
      data: structuredClone(event.data),
    }));
    this.log.push(...stored);
    this.versions.set(streamId, current + stored.length);
    stored.forEach((event) => this.live.next(copy(event)));
    return { nextVersion: current + stored.length, lastPosition: this.log.length, events: stored.map(copy) };
  }

  async readStream(streamId: string, fromVersion = 1): Promise<StoredEvent[]> {
    return this.log.filter((e) => e.streamId === streamId && e.version >= fromVersion).map(copy);
  }

  async readAll({ after = 0, limit = DEFAULT_PAGE_SIZE }: ReadAllOptions = {}): Promise<StoredEvent[]> {
    return this.log.slice(after, after + limit).map(copy);
  }

  async lastPosition(): Promise<number> {
    return this.log.length;
  }

  subscribe(after?: number): Observable<StoredEvent> {
    if (after === undefined) return this.live.asObservable();
    return catchUpThenLive(this.live, (from) => this.readAll({ after: from }), after);
  }

  async close(): Promise<void> {
    this.live.complete();
  }
}

const copy = (event: StoredEvent): StoredEvent => ({ ...event, data: structuredClone(event.data) });
