import { Module } from '@nestjs/common';
import { ActorsModule } from '../actors/actors.module';
import { AutoscalerService } from './autoscaler.service';
import { FleetService } from './fleet.service';

/** Launches and stops workers, and the autoscaler that decides when. */
@Module({
  imports: [ActorsModule],
  providers: [FleetService, AutoscalerService],
  exports: [AutoscalerService],
})
export class FleetModule {}
