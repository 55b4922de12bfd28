import { Injectable } from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import { Histogram, Registry } from 'prom-client';
import { METRIC_PREFIX } from './metrics.registry';

/** Buckets of the upload latency, seconds: `POST /api/jobs` answers in milliseconds, `POST /` waits for a label. */
export const UPLOAD_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

/** The upload latency histogram, one per app (its registry), and the timing of the upload routes. */
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

  /**
   * Times an upload request from now until its answer is sent, whichever way it was sent (its
   * route, a refusal); a request the client abandons before the answer is not observed. Call it
   * first thing, so that the time includes reading the multipart body.
   */
  time(route: string, response: ServerResponse): void {
    const began = performance.now();
    response.once('finish', () => {
      this.histogram.observe(
        { route, status_code: String(response.statusCode) },
        (performance.now() - began) / 1000,
      );
    });
  }
}
