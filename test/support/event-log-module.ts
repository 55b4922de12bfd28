import { Global, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import { Checkpoint } from '../../src/checkpoint/checkpoint';
import { localPaths } from '../../src/adapters/local/local-adapters';
import { SqliteEventStore } from '../../src/adapters/local/sqlite-event-store';
import { Clock } from '../../src/ports/clock.port';
import { EventStore } from '../../src/ports/event-store.port';
import { Leadership, SoleLeadership } from '../../src/ports/leadership.port';

/**
 * The SQLite event log of `dataDir` alone (its control plane leads), for tests that boot the host without the other
 * adapters; with `checkpoint`, its checkpoint file too (else the host keeps one in memory, and
 * every boot folds the whole log).
 */
export function eventLogModule(dataDir: string, { checkpoint = false } = {}) {
  @Global()
  @Module({
    providers: [
      {
        provide: EventStore,
        inject: [Clock],
        useFactory: (clock: Clock) => new SqliteEventStore(localPaths(dataDir).events, clock),
      },
      {
        provide: Checkpoint,
        useFactory: () => new Checkpoint(checkpoint ? localPaths(dataDir).checkpoint : ':memory:'),
      },
      // The only control plane on its log: it leads.
      { provide: Leadership, useFactory: () => new SoleLeadership() },
      EventLogLifecycle,
    ],
    exports: [EventStore, Checkpoint, Leadership],
  })
  class EventLogModule {}
  return EventLogModule;
}

@Injectable()
class EventLogLifecycle implements OnApplicationShutdown {
  constructor(
    private readonly checkpoint: Checkpoint,
    private readonly events: EventStore,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    this.checkpoint.close();
    await this.events.close();
  }
}
