import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { ActorsModule } from './actors/actors.module';
import { AdaptersModule } from './adapters/adapters.module';
import { CheckpointPublisher } from './checkpoint/checkpoint-publisher';
import { OpenApiController } from './api/openapi.controller';
import { AppConfig, loadConfig } from './config/app-config';
import { ConfigModule } from './config/config.module';
import { DebugModule } from './debug/debug.module';
import { EventsModule } from './events/events.module';
import { AutoscalerController } from './fleet/autoscaler.controller';
import { HealthController } from './health/health.controller';
import { FleetController } from './fleet/fleet.controller';
import { FleetModule } from './fleet/fleet.module';
import { JobsController } from './jobs/jobs.controller';
import { JobsModule } from './jobs/jobs.module';
import { MetricsModule } from './metrics/metrics.module';
import { PipelineModule } from './pipeline/pipeline.module';
import { ProjectionsModule } from './projections/projections.module';
import { SecurityModule } from './security/security.module';
import { PageController } from './web/page.controller';
import { ServiceErrorFilter } from './web/service-error.filter';
import { StreamController } from './web/stream.controller';
import { UploadsModule } from './web/uploads.module';
import { WebhooksModule } from './webhooks/webhooks.module';

/** The control plane: event log, machine host, job pipeline, fleet, read models and the web tier. */
@Module({})
export class AppModule {
  /** @param config explicit settings (tests); default: read from the environment. */
  static forRoot(config: AppConfig = loadConfig()): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        SecurityModule,
        EventsModule,
        AdaptersModule.forRoot(config),
        ActorsModule,
        ProjectionsModule,
        JobsModule,
        FleetModule,
        PipelineModule,
        WebhooksModule,
        DebugModule,
        MetricsModule,
        UploadsModule,
      ],
      controllers: [
        JobsController,
        FleetController,
        AutoscalerController,
        HealthController,
        StreamController,
        PageController,
        OpenApiController,
      ],
      providers: [{ provide: APP_FILTER, useClass: ServiceErrorFilter }, CheckpointPublisher],
    };
  }
}
