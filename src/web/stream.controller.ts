import { Controller, MessageEvent, Sse } from '@nestjs/common';
import { map, Observable } from 'rxjs';
import { JobsProjection } from '../projections/jobs.projection';

/** Live updates for the page. */
@Controller('api/stream')
export class StreamController {
  constructor(private readonly jobs: JobsProjection) {}

  /** Server-sent events named `job`, each carrying a job's view the moment it changes. */
  @Sse()
  stream(): Observable<MessageEvent> {
    return this.jobs.updates$.pipe(map((job) => ({ type: 'job', data: job })));
  }
}
