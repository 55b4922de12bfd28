import { Module } from '@nestjs/common';
import { ActorHost } from './actor-host.service';

/** Hosts the job, worker and controller machines on the event log. */
@Module({
  providers: [ActorHost],
  exports: [ActorHost],
})
export class ActorsModule {}
