import { Controller, MessageEvent, Query, Sse } from '@nestjs/common';
import { z } from 'zod';
import { map, Observable } from 'rxjs';
import { JOB_STATUSES, JobStatus } from '../api/api-schemas';
import { parseRequest } from '../common/invalid-request.error';
import { JobsProjection } from '../projections/jobs.projection';

const oneStatus = JOB_STATUSES.join('|');
const statusList = new RegExp(`^(${oneStatus})(,(${oneStatus}))*$`);

export const streamQuery = z.object({
  status: z
    .string()
    .regex(statusList, `status must be a comma-separated list of ${JOB_STATUSES.join(', ')}`)
    .optional()
    .describe('only changes into these statuses, such as reported,rejected,failed for outcomes'),
});

/** Live updates for the page, and for clients waiting on outcomes. */
@Controller('api/stream')
export class StreamController {
  constructor(private readonly jobs: JobsProjection) {}

  /**
   * Server-sent events named `job`, each carrying a job's view the moment it changes;
   * `?status=reported,failed` only those of changes into one of the statuses listed.
   */
  @Sse()
  stream(@Query() query: unknown): Observable<MessageEvent> {
    const { status } = parseRequest(streamQuery, query);
    const statuses = status === undefined ? undefined : new Set(status.split(',') as JobStatus[]);
    return this.jobs.updates(statuses).pipe(map((job) => ({ type: 'job', data: job })));
  }
}
