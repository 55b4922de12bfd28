import { Inject, Injectable } from '@nestjs/common';
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
 * holds its upload until its label comes. Asked before the upload is read, so that a request
 * turned away is answered before its body is.
 */
@Injectable()
export class ClassifyAdmission {
  private waiting = 0;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  /**
   * Admits one more waiting request; call the function it returns once that request has ended.
   * @throws TooManyWaitingError past MAX_WAITING_CLASSIFY, with `Retry-After`.
   */
  enter(): () => void {
    if (this.waiting >= this.config.maxWaitingClassify) {
      throw new TooManyWaitingError(
        `${this.waiting} requests are waiting for their label already (MAX_WAITING_CLASSIFY); try again in ${RETRY_AFTER_S} s, or use POST /api/jobs`,
      );
    }
    this.waiting++;
    return () => void this.waiting--;
  }
}
