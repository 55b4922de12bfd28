import { Module } from '@nestjs/common';
import { ActorsModule } from '../actors/actors.module';
import { ControllerService } from './controller.service';
import { FleetService } from './fleet.service';

/** Launches and stops workers, and the autoscaler that decides when. */
@Module({
  imports: [ActorsModule],
  providers: [FleetService, ControllerService],
  exports: [ControllerService],
})
export class FleetModule {}
