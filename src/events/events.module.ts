import { Global, Module } from '@nestjs/common';
import { localPaths } from '../adapters/local/local-adapters';
import { SqliteEventStore } from '../adapters/local/sqlite-event-store';
import { SystemClock } from '../clock/system-clock';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { Clock } from '../ports/clock.port';
import { EventStore } from '../ports/event-store.port';
import { Upcaster } from './upcaster';
import { UPCAST_STEPS } from './upcast-steps';

/** The log and the clock, shared by every feature. */
@Global()
@Module({
  providers: [
    { provide: Clock, useClass: SystemClock },
    {
      provide: EventStore,
      inject: [APP_CONFIG, Clock],
      useFactory: (config: AppConfig, clock: Clock) =>
        new SqliteEventStore(localPaths(config.dataDir).events, clock),
    },
    { provide: Upcaster, useValue: new Upcaster(UPCAST_STEPS) },
  ],
  exports: [Clock, EventStore, Upcaster],
})
export class EventsModule {}
