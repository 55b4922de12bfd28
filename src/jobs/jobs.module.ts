import { Module } from '@nestjs/common';
import { ActorsModule } from '../actors/actors.module';
import { JobOutcomes } from './job-outcomes';
import { JobsService } from './jobs.service';

/** Takes uploads, enqueues them and reports their outcome. */
@Module({
  imports: [ActorsModule],
  providers: [JobsService, JobOutcomes],
  exports: [JobsService, JobOutcomes],
})
export class JobsModule {}
