import { ExecutionContext, Injectable } from '@nestjs/common';
import { ThrottlerGuard, ThrottlerLimitDetail } from '@nestjs/throttler';
import type { Request } from 'express';
import { ServiceError } from '../common/errors';
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
 * RATE_LIMIT_UPLOADS is set. Runs after the key guard, so a key it counts is a valid one.
 */
@Injectable()
export class UploadRateLimit extends ThrottlerGuard {
  protected override getTracker(request: Request): Promise<string> {
    const key = presentedKey(request);
    return Promise.resolve(
      key === undefined ? `address:${request.ip ?? 'unknown'}` : `key:${keyDigest(key).toString('hex')}`,
    );
  }

  /** One count per caller across the upload routes (the default keeps one per route). */
  protected override generateKey(_context: ExecutionContext, tracker: string, throttler: string): string {
    return `${throttler}:${tracker}`;
  }

  protected override throwThrottlingException(
    _context: ExecutionContext,
    { limit, ttl, timeToBlockExpire }: ThrottlerLimitDetail,
  ): Promise<void> {
    throw new RateLimitedError(
      `More than ${limit} upload requests in ${ttl / 1000} s (RATE_LIMIT_UPLOADS); try again in ${timeToBlockExpire} s`,
      { 'Retry-After': String(timeToBlockExpire) },
    );
  }
}
