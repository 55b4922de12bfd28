import { Logger } from '@nestjs/common';
import { errorMessage } from '../common/errors';
import { EventStore, StoredEvent } from '../ports/event-store.port';

/** A stored event passed over on replay, as its `RecordSetAside` event names it. */
export interface SetAsideRecord {
  position: number;
  streamId: string;
  type: string;
  reason: string;
}

/** The stream of `RecordSetAside` events; no machine owns it. */
export const SET_ASIDE_STREAM = 'set-aside';

/**
 * The stored events one replay could not take, kept so that each is logged every boot and
 * recorded once in the log (the `RecordSetAside` events already there say which were).
 */
export class SetAside {
  private readonly logger = new Logger('ActorHost');
  private readonly records: SetAsideRecord[] = [];
  private readonly recorded = new Set<number>();

  /** Called for every event read: notes the ones already recorded as set aside. */
  read(stored: StoredEvent): void {
    if (stored.streamId === SET_ASIDE_STREAM) this.recorded.add(stored.data.position as number);
  }

  /** Sets `stored` aside, for the reason `error` gives. */
  add(stored: StoredEvent, error: unknown): void {
    const { position, streamId, type } = stored;
    this.records.push({ position, streamId, type, reason: errorMessage(error) });
  }

  get count(): number {
    return this.records.length;
  }

  /** Logs every record set aside, and appends a `RecordSetAside` for those the log lacks. */
  async record(store: EventStore, at: number): Promise<void> {
    for (const record of this.records) {
      this.logger.error({ msg: 'a stored event the machines cannot take was set aside', ...record });
      if (this.recorded.has(record.position)) continue;
      await store.append(SET_ASIDE_STREAM, [{ type: 'RecordSetAside', data: { ...record, at } }], 'any');
    }
  }
}
