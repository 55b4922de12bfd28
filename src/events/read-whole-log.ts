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
