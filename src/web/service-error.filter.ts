import { ArgumentsHost, Catch, ExceptionFilter } from '@nestjs/common';
import type { Response } from 'express';
import { ServiceError } from '../common/errors';

/** Maps every typed service error to its HTTP status, in one place: `{ error: code, message }`. */
@Catch(ServiceError)
export class ServiceErrorFilter implements ExceptionFilter {
  catch(error: ServiceError, host: ArgumentsHost): void {
    host
      .switchToHttp()
      .getResponse<Response>()
      .status(error.httpStatus)
      .json({ error: error.code, message: error.message });
  }
}
