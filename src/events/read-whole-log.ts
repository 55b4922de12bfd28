import { EventStore, StoredEvent } from '../ports/event-store.port';

/** Every event of the log in global order, read page by page (for tools and tests; the host folds as it reads). */
export async function readWholeLog(store: EventStore): Promise<StoredEvent[]> {
  const events: StoredEvent[] = [];
  for (
    let page = await store.readAll();
    page.length > 0;
    page = await store.readAll({ after: page.at(-1)!.position })
  )
    events.push(...page);
  return events;
}

/** How many events of `type` each stream holds, for the streams that hold any. */
export function countPerStream(events: readonly StoredEvent[], type: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const e of events) if (e.type === type) counts.set(e.streamId, (counts.get(e.streamId) ?? 0) + 1);
  return counts;
}
