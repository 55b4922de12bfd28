import { Observable } from 'rxjs';
import { ServiceError } from '../common/errors';

/** JSON-serialisable payload of an event. */
export type EventData = Record<string, unknown>;

/** An event as a caller hands it to {@link EventStore.append}. */
export interface NewEvent<TData extends EventData = EventData> {
  type: string;
  data: TData;
  /** Version of this event type's payload schema, so old payloads can be upcast (default 1). */
  schemaVersion?: number;
}

/** An event as the store recorded it. */
export interface StoredEvent<TData extends EventData = EventData> {
  type: string;
  /** The stream (aggregate) it belongs to, e.g. `job-3f…` or `controller`. */
  streamId: string;
  /** Position within its stream, from 1, without gaps. */
  version: number;
  /** Position in the whole log, strictly increasing across all streams. */
  position: number;
  /** When the store recorded it, ms since the epoch (from the store's clock). */
  recordedAt: number;
  schemaVersion: number;
  data: TData;
}

/**
 * The stream version an append expects to find:
 * a number (the stream's current last version; 0 = the stream does not exist yet),
 * `'no_stream'` (same as 0) or `'any'` (no check).
 */
export type ExpectedVersion = number | 'no_stream' | 'any';

export interface AppendResult {
  /** The stream's version after the append. */
  nextVersion: number;
  /** Global position of the last appended event. */
  lastPosition: number;
  /** The appended events as stored. */
  events: StoredEvent[];
}

/** Raised when an append's expected version does not match the stream's current version. */
export class StreamVersionConflictError extends ServiceError {
  readonly code = 'stream_version_conflict';
  readonly httpStatus = 409;

  constructor(
    readonly streamId: string,
    readonly expected: ExpectedVersion,
    readonly actual: number,
  ) {
    super(`Stream ${streamId} is at version ${actual}, expected ${String(expected)}`);
  }
}

export interface ReadAllOptions {
  /** Return events with a position strictly greater than this (default 0: from the start). */
  after?: number;
  /** At most this many events (default 10 000). */
  limit?: number;
}

/**
 * The append-only log that is the service's source of truth. Appends to one stream are
 * atomic and ordered; every event also gets a global position, so the whole log can be
 * replayed in the order it was written.
 */
export abstract class EventStore {
  /**
   * Whether other processes may append to this log (PostgreSQL shared by several control planes):
   * then a host follows the log's live events to learn of their appends. Default false: this
   * process is the log's only writer.
   */
  readonly shared: boolean = false;

  /**
   * Appends `events` to `streamId` atomically, if the stream is at `expectedVersion`.
   * @throws StreamVersionConflictError when it is not.
   */
  abstract append(
    streamId: string,
    events: NewEvent[],
    expectedVersion: ExpectedVersion,
  ): Promise<AppendResult>;

  /** The stream's events in order, from `fromVersion` (default 1); empty when the stream does not exist. */
  abstract readStream(streamId: string, fromVersion?: number): Promise<StoredEvent[]>;

  /** One page of the whole log in global order. Page through it with `after` = the last position read. */
  abstract readAll(options?: ReadAllOptions): Promise<StoredEvent[]>;

  /** The global position of the last event (0 when the log is empty). */
  abstract lastPosition(): Promise<number>;

  /**
   * Events appended from now on, in global order. With `after`, first replays the stored
   * events past that position, then continues live without gaps or duplicates.
   */
  abstract subscribe(after?: number): Observable<StoredEvent>;

  /** Releases resources; the store is unusable afterwards. */
  abstract close(): Promise<void>;
}
