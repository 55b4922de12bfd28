import { ArgumentsHost, Catch, ExceptionFilter, HttpException } from '@nestjs/common';
import type { Response } from 'express';
import { ServiceError } from '../common/errors';

/**
 * Maps every error that reaches the edge to one JSON shape, `{ error: code, message }`, in one
 * place: typed service errors with their own status, Nest's HTTP exceptions (e.g. a route
 * Nest does not know → 404 `not_found`) with theirs. It answers the upload routes too, which Nest
 * mounts as middleware.
 */
@Catch(ServiceError, HttpException)
export class ServiceErrorFilter implements ExceptionFilter {
  catch(error: ServiceError | HttpException, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    if (error instanceof ServiceError) {
      if (error.headers) response.set(error.headers);
      response.status(error.httpStatus).json({ error: error.code, message: error.message });
      return;
    }
    const body = error.getResponse();
    const message =
      typeof body === 'string' ? body : ((body as { message?: unknown }).message ?? error.message);
    const code = error.constructor.name
      .replace(/Exception$/, '')
      .replace(/([a-z])([A-Z])/g, '$1_$2')
      .toLowerCase();
    response
      .status(error.getStatus())
      .json({ error: code, message: Array.isArray(message) ? message.join('; ') : message });
  }
}
