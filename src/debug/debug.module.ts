import { Module } from '@nestjs/common';
import { ActorsModule } from '../actors/actors.module';
import { ProjectionsModule } from '../projections/projections.module';
import { DebugController } from './debug.controller';
import { DebugService } from './debug.service';

/** The state-machine visualizer at `/debug`. */
@Module({
  imports: [ActorsModule, ProjectionsModule],
  controllers: [DebugController],
  providers: [DebugService],
})
export class DebugModule {}
