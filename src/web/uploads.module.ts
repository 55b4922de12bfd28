import { MiddlewareConsumer, Module, NestModule, RequestMethod } from '@nestjs/common';
import type { Request, Response } from 'express';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { JobsModule } from '../jobs/jobs.module';
import { MetricsModule } from '../metrics/metrics.module';
import { SecurityModule } from '../security/security.module';
import { ClassifyAdmission } from './classify-admission';
import { TemporaryUploadsFolder, uploadsFolder } from './temporary-uploads';
import { UploadRoutes } from './upload-routes';
import { UploadStorage } from './upload-storage';

/**
 * The upload routes (`POST /api/jobs`, `POST /`), mounted as Express handlers ahead of Nest's
 * router (see {@link UploadRoutes} for why), and where their uploads wait while their request
 * runs: memory within a budget, else `DATA_DIR/uploads`. Import it after `SecurityModule`, whose
 * middleware (security headers, the refusal of other sites' posts) must run first.
 */
@Module({
  imports: [JobsModule, SecurityModule, MetricsModule],
  providers: [
    TemporaryUploadsFolder,
    {
      provide: UploadStorage,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) =>
        new UploadStorage(uploadsFolder(config.dataDir), config.uploadMemoryBytes),
    },
    ClassifyAdmission,
    UploadRoutes,
  ],
})
export class UploadsModule implements NestModule {
  constructor(private readonly routes: UploadRoutes) {}

  configure(consumer: MiddlewareConsumer): void {
    consumer
      .apply((request: Request, response: Response) => this.routes.submit(request, response))
      .forRoutes({ path: 'api/jobs', method: RequestMethod.POST });
    consumer
      .apply((request: Request, response: Response) => this.routes.classify(request, response))
      .forRoutes({ path: '/', method: RequestMethod.POST });
  }
}
