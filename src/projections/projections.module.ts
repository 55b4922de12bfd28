import { Module } from '@nestjs/common';
import { ActorsModule } from '../actors/actors.module';
import { ExpiredFiles } from './expired-files.projection';
import { JobsProjection } from './jobs.projection';
import { QueryService } from './query.service';
import { WorkersProjection } from './workers.projection';

/** Read models kept from the events, and the queries over them. */
@Module({
  imports: [ActorsModule],
  providers: [JobsProjection, WorkersProjection, ExpiredFiles, QueryService],
  exports: [QueryService, JobsProjection, WorkersProjection, ExpiredFiles],
})
export class ProjectionsModule {}
