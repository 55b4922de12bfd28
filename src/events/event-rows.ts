import { AppendResult, EventData, ExpectedVersion, NewEvent, StoredEvent } from '../ports/event-store.port';

/** An event as the SQL logs keep it: one row of their `events` table. */
export interface EventRow<TData = EventData> {
  position: number;
  stream_id: string;
  version: number;
  type: string;
  schema_version: number;
  data: TData;
  recorded_at: number;
}

/** The event a row holds (its payload parsed already). */
export function storedEventOf(row: EventRow): StoredEvent {
  return {
    type: row.type,
    streamId: row.stream_id,
    version: row.version,
    position: row.position,
    recordedAt: row.recorded_at,
    schemaVersion: row.schema_version,
    data: row.data,
  };
}

/** An append waiting for its group's commit (group commit: the appends of one turn together). */
export interface PendingAppend {
  streamId: string;
  events: NewEvent[];
  expectedVersion: ExpectedVersion;
  resolve(result: AppendResult): void;
  reject(error: unknown): void;
}
