import { Global, Module } from '@nestjs/common';
import { localPaths } from '../../src/adapters/local/local-adapters';
import { SqliteEventStore } from '../../src/adapters/local/sqlite-event-store';
import { Clock } from '../../src/ports/clock.port';
import { EventStore } from '../../src/ports/event-store.port';

/** The SQLite event log of `dataDir` alone, for tests that boot the host without the other adapters. */
export function eventLogModule(dataDir: string) {
  @Global()
  @Module({
    providers: [
      {
        provide: EventStore,
        inject: [Clock],
        useFactory: (clock: Clock) => new SqliteEventStore(localPaths(dataDir).events, clock),
      },
    ],
    exports: [EventStore],
  })
  class EventLogModule {}
  return EventLogModule;
}
