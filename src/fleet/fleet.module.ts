import { Module } from '@nestjs/common';
import { ActorsModule } from '../actors/actors.module';
import { AutoscalerService } from './autoscaler.service';
import { FleetInstances } from './fleet-instances';
import { FleetService } from './fleet.service';

/** Launches and stops workers, and the autoscaler that decides when. */
@Module({
  imports: [ActorsModule],
  providers: [FleetService, AutoscalerService, FleetInstances],
  exports: [AutoscalerService, FleetInstances],
})
export class FleetModule {}
