import { Module } from '@nestjs/common';
import { ActorsModule } from '../actors/actors.module';
import { ProjectionsModule } from '../projections/projections.module';
import { JobOutcomes } from './job-outcomes';
import { JobsService } from './jobs.service';
import { RetentionSweep } from './retention-sweep';
import { Submissions } from './submissions';

/** Takes uploads, enqueues them and reports their outcome. */
@Module({
  imports: [ActorsModule, ProjectionsModule],
  providers: [JobsService, JobOutcomes, Submissions, RetentionSweep],
  exports: [JobsService, JobOutcomes],
})
export class JobsModule {}
