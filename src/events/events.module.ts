import { Global, Module } from '@nestjs/common';
import { SystemClock } from '../clock/system-clock';
import { Clock } from '../ports/clock.port';
import { Upcaster } from './upcaster';
import { UPCAST_STEPS } from './upcast-steps';

/** The clock and the upcaster, shared by every feature (the log itself is an adapter's). */
@Global()
@Module({
  providers: [
    { provide: Clock, useClass: SystemClock },
    { provide: Upcaster, useValue: new Upcaster(UPCAST_STEPS) },
  ],
  exports: [Clock, Upcaster],
})
export class EventsModule {}
