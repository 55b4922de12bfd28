import { Inject, MiddlewareConsumer, Module, NestModule, OnModuleInit } from '@nestjs/common';
import { APP_GUARD, HttpAdapterHost } from '@nestjs/core';
import { ThrottlerStorageService } from '@nestjs/throttler';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { ApiKeys } from './api-keys';
import { corsFor, refuseCrossOriginWrites, securityHeaders } from './http-hardening';
import { KeyGuard } from './key.guard';
import { UploadRateLimit } from './upload-rate-limit';

/**
 * Who may call what, and how a browser may: the keys and their guard, the upload rate limit,
 * security headers, CORS (only for CORS_ORIGINS) and the refusal of other sites' form posts.
 */
@Module({
  providers: [
    {
      provide: ApiKeys,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => new ApiKeys(config.keys),
    },
    { provide: APP_GUARD, useClass: KeyGuard },
    ThrottlerStorageService,
    UploadRateLimit,
  ],
  exports: [ApiKeys, UploadRateLimit],
})
export class SecurityModule implements NestModule, OnModuleInit {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  /** Express's own settings: whom to believe about the client's address, and no `X-Powered-By`. */
  onModuleInit(): void {
    const express = this.adapterHost.httpAdapter?.getInstance() as
      { set(setting: string, value: unknown): void } | undefined;
    express?.set('trust proxy', this.config.trustProxy);
    express?.set('x-powered-by', false);
  }

  configure(consumer: MiddlewareConsumer): void {
    const { corsOrigins } = this.config;
    consumer
      .apply(
        securityHeaders(),
        ...(corsOrigins.length > 0 ? [corsFor(corsOrigins)] : []),
        refuseCrossOriginWrites(corsOrigins),
      )
      .forRoutes('{*path}');
  }
}
