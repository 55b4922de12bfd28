import { Module } from '@nestjs/common';
import { ActorsModule } from '../actors/actors.module';
import { FleetModule } from '../fleet/fleet.module';
import { WorkerReportsConsumer } from './worker-reports.consumer';

/** Turns what workers report (and what the request queue dead-letters) into events. */
@Module({
  imports: [ActorsModule, FleetModule],
  providers: [WorkerReportsConsumer],
})
export class PipelineModule {}
