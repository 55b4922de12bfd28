import { Controller, Get, Param, Query } from '@nestjs/common';
import { z } from 'zod';
import { JobPage, JobView } from '../projections/jobs.projection';
import { JobEventView, QueryService } from '../projections/query.service';
import { parseRequest } from '../common/invalid-request.error';

export const listQuery = z
  .object({
    offset: z.coerce.number().int().min(0).default(0),
    limit: z.coerce.number().int().min(1).max(500).default(50),
    status: z.enum(['uploaded', 'queued', 'classified', 'reported', 'rejected', 'failed']).optional(),
    after: z
      .string()
      .regex(/^\d{1,15}$/, "after must be a page's nextCursor")
      .optional()
      .describe("a page's nextCursor: the jobs after that page, however many came or changed since"),
  })
  .refine((query) => query.after === undefined || query.offset === 0, {
    message: 'use offset or after, not both',
  });

/** Jobs as the REST API shows them. */
@Controller('api/jobs')
export class JobsController {
  constructor(private readonly queries: QueryService) {}

  /**
   * A page of jobs in upload order: `?offset=0&limit=50&status=reported`, or the page after
   * another, `?after=<its nextCursor>`.
   */
  @Get()
  list(@Query() query: unknown): JobPage {
    return this.queries.listJobs(parseRequest(listQuery, query));
  }

  @Get(':id')
  get(@Param('id') id: string): Promise<JobView> {
    return this.queries.getJob(id);
  }

  /** The job's history, straight from the event log. */
  @Get(':id/events')
  events(@Param('id') id: string): Promise<JobEventView[]> {
    return this.queries.jobEvents(id);
  }
}
