import { Observable, Subject } from 'rxjs';
import { StoredEvent } from '../ports/event-store.port';

type ReadPage = (after: number) => Promise<StoredEvent[]>;

/**
 * Stored events past `after`, then live ones, with no gap and no duplicate: live events that
 * arrive while the stored pages are read are buffered and emitted only if not already seen.
 */
export function catchUpThenLive(
  live: Subject<StoredEvent>,
  readPage: ReadPage,
  after: number,
): Observable<StoredEvent> {
  return new Observable<StoredEvent>((subscriber) => {
    let last = after;
    let caughtUp = false;
    const buffered: StoredEvent[] = [];
    const emit = (event: StoredEvent) => {
      if (event.position <= last) return;
      last = event.position;
      subscriber.next(event);
    };
    const liveSubscription = live.subscribe({
      next: (event) => (caughtUp ? emit(event) : buffered.push(event)),
      error: (err) => subscriber.error(err),
      complete: () => subscriber.complete(),
    });
    (async () => {
      for (;;) {
        const page = await readPage(last);
        if (page.length === 0) break;
        page.forEach(emit);
      }
      caughtUp = true;
      buffered.splice(0).forEach(emit);
    })().catch((err) => subscriber.error(err));
    return () => liveSubscription.unsubscribe();
  });
}
