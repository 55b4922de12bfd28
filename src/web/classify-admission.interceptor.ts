import { CallHandler, ExecutionContext, Inject, Injectable, NestInterceptor } from '@nestjs/common';
import { finalize, Observable } from 'rxjs';
import { ServiceError } from '../common/errors';
import { APP_CONFIG, AppConfig } from '../config/app-config';

/** Seconds a client turned away is told to wait before it tries again. */
export const RETRY_AFTER_S = 5;

/** Too many `POST /` are waiting for their label already. */
export class TooManyWaitingError extends ServiceError {
  readonly code = 'too_many_waiting';
  readonly httpStatus = 503;
  override readonly headers = { 'Retry-After': String(RETRY_AFTER_S) };
}

/**
 * Admits at most `MAX_WAITING_CLASSIFY` course-client requests (`POST /`) at once, each of which
 * holds its upload until its label comes. Bound before the upload interceptor, so a request turned
 * away is answered before its body is read.
 */
@Injectable()
export class ClassifyAdmission implements NestInterceptor {
  private waiting = 0;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (this.waiting >= this.config.maxWaitingClassify) {
      throw new TooManyWaitingError(
        `${this.waiting} requests are waiting for their label already (MAX_WAITING_CLASSIFY); try again in ${RETRY_AFTER_S} s, or use POST /api/jobs`,
      );
    }
    this.waiting++;
    return next.handle().pipe(finalize(() => this.waiting--));
  }
}
