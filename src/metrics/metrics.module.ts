import { Module } from '@nestjs/common';
import { Registry } from 'prom-client';
import { ActorsModule } from '../actors/actors.module';
import { ProjectionsModule } from '../projections/projections.module';
import { EventMetrics } from './event-metrics';
import { MetricsController } from './metrics.controller';
import { createMetricsRegistry } from './metrics.registry';
import { StateGauges } from './state-gauges';
import { UploadLatency } from './upload-latency';

/**
 * Prometheus metrics at `GET /metrics`, on a registry owned by the app. Needs the request queue
 * (`REQUEST_QUEUE`) from the adapters module. Exports {@link UploadLatency}, which times the
 * upload routes.
 */
@Module({
  imports: [ActorsModule, ProjectionsModule],
  controllers: [MetricsController],
  providers: [
    { provide: Registry, useFactory: createMetricsRegistry },
    StateGauges,
    EventMetrics,
    UploadLatency,
  ],
  exports: [Registry, UploadLatency],
})
export class MetricsModule {}
