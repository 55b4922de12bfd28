import { Inject, Injectable } from '@nestjs/common';
import { ThrottlerStorageService } from '@nestjs/throttler';
import type { Request, Response } from 'express';
import { ServiceError } from '../common/errors';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { keyDigest } from './api-keys';
import { presentedKey } from './key.guard';

/** A key, or an address without one, made more upload requests than RATE_LIMIT_UPLOADS allows. */
export class RateLimitedError extends ServiceError {
  readonly code = 'rate_limited';
  readonly httpStatus = 429;

  constructor(
    message: string,
    override readonly headers: Record<string, string>,
  ) {
    super(message);
  }
}

/**
 * Counts upload requests per key (its digest, never the key), or per client address when the
 * request carries none, and turns away those past `RATE_LIMIT_UPLOADS` per `RATE_LIMIT_WINDOW_MS`
 * with 429 and `Retry-After`; `POST /` and `POST /api/jobs` count together. Off unless
 * RATE_LIMIT_UPLOADS is set. Call it after the key check, so that a key it counts is a valid one.
 */
@Injectable()
export class UploadRateLimit {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly hits: ThrottlerStorageService,
  ) {}

  /**
   * Counts one upload request of its caller and tells the client what is left of the window in
   * `X-RateLimit-Limit`, `-Remaining` and `-Reset` (seconds).
   * @throws RateLimitedError past the limit, with `Retry-After`.
   */
  async admit(request: Request, response: Response): Promise<void> {
    const bound = this.config.uploadRateLimit;
    if (!bound) return;
    const key = presentedKey(request);
    const caller =
      key === undefined ? `address:${request.ip ?? 'unknown'}` : `key:${keyDigest(key).toString('hex')}`;
    const { limit, windowMs } = bound;
    const { totalHits, timeToExpire, isBlocked, timeToBlockExpire } = await this.hits.increment(
      caller,
      windowMs,
      limit,
      windowMs,
      'uploads',
    );
    if (isBlocked) {
      throw new RateLimitedError(
        `More than ${limit} upload requests in ${windowMs / 1000} s (RATE_LIMIT_UPLOADS); try again in ${timeToBlockExpire} s`,
        { 'Retry-After': String(timeToBlockExpire) },
      );
    }
    response.setHeader('X-RateLimit-Limit', limit);
    response.setHeader('X-RateLimit-Remaining', Math.max(0, limit - totalHits));
    response.setHeader('X-RateLimit-Reset', timeToExpire);
  }
}
