import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { ActorsModule } from './actors/actors.module';
import { AppConfig } from './config/app-config';
import { ConfigModule } from './config/config.module';
import { EventsModule } from './events/events.module';
import { FleetController } from './fleet/fleet.controller';
import { JobsController } from './jobs/jobs.controller';
import { ProjectionsModule } from './projections/projections.module';
import { ServiceErrorFilter } from './web/service-error.filter';

/** The control plane: event log, machine host, read models and the HTTP API. */
@Module({})
export class AppModule {
  /** @param config explicit settings (tests); default: read from the environment. */
  static forRoot(config?: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [ConfigModule.forRoot(config), EventsModule, ActorsModule, ProjectionsModule],
      controllers: [JobsController, FleetController],
      providers: [{ provide: APP_FILTER, useClass: ServiceErrorFilter }],
    };
  }
}
