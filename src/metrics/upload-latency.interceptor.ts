import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import type { Request, Response } from 'express';
import { Histogram, Registry } from 'prom-client';
import { Observable } from 'rxjs';
import { METRIC_PREFIX } from './metrics.registry';

/** Buckets of the upload latency, seconds: `POST /api/jobs` answers in milliseconds, `POST /` waits for a label. */
export const UPLOAD_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

/** The upload latency histogram, one per app (its registry). */
@Injectable()
export class UploadLatency {
  readonly histogram: Histogram<'route' | 'status_code'>;

  constructor(registry: Registry) {
    this.histogram = new Histogram({
      name: `${METRIC_PREFIX}upload_latency_seconds`,
      help:
        'Seconds from an upload request reaching its route until its answer was sent: for POST /api/jobs ' +
        'the 202 once the jobs are recorded, for POST / the label (or the error).',
      labelNames: ['route', 'status_code'],
      buckets: UPLOAD_BUCKETS,
      registers: [registry],
    });
  }
}

/**
 * Times each request of the controller it decorates. Put on the controller class, it runs
 * outside the route's own interceptors (multer), so the time includes reading the multipart
 * body; it ends when the response is finished, whichever way it was sent (handler, error
 * filter). Requests the client abandons before the answer are not observed.
 */
@Injectable()
export class UploadLatencyInterceptor implements NestInterceptor {
  constructor(private readonly latency: UploadLatency) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const http = context.switchToHttp();
    const request = http.getRequest<Request>();
    const response = http.getResponse<Response>();
    const began = performance.now();
    response.once('finish', () => {
      const route = (request.route as { path?: string } | undefined)?.path ?? 'unknown';
      this.latency.histogram.observe(
        { route, status_code: String(response.statusCode) },
        (performance.now() - began) / 1000,
      );
    });
    return next.handle();
  }
}
