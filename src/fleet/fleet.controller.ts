import { Controller, Get, Query } from '@nestjs/common';
import { z } from 'zod';
import { WorkerView } from '../projections/workers.projection';
import { QueryService } from '../projections/query.service';
import { parseRequest } from '../common/invalid-request.error';
import { Access } from '../security/access';

export const fleetQuery = z.object({ all: z.enum(['true', 'false']).default('false') });

/** The worker fleet. */
@Access('admin')
@Controller('api/fleet')
export class FleetController {
  constructor(private readonly queries: QueryService) {}

  /** Workers with their state and current job; `?all=true` includes terminated and lost ones. */
  @Get()
  list(@Query() query: unknown): { workers: WorkerView[] } {
    const { all } = parseRequest(fleetQuery, query);
    return { workers: this.queries.listWorkers({ includeEnded: all === 'true' }) };
  }
}
