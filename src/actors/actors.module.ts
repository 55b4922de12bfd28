import { Module } from '@nestjs/common';
import { ActorHost } from './actor-host.service';
import { EffectRegistry } from './effect-registry';

/** Hosts the job, worker and controller machines on the event log. */
@Module({
  providers: [ActorHost, EffectRegistry],
  exports: [ActorHost, EffectRegistry],
})
export class ActorsModule {}
