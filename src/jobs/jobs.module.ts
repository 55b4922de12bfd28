import { Module } from '@nestjs/common';
import { ActorsModule } from '../actors/actors.module';
import { JobOutcomes } from './job-outcomes';
import { JobsService } from './jobs.service';
import { Submissions } from './submissions';

/** Takes uploads, enqueues them and reports their outcome. */
@Module({
  imports: [ActorsModule],
  providers: [JobsService, JobOutcomes, Submissions],
  exports: [JobsService, JobOutcomes],
})
export class JobsModule {}
