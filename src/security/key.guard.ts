import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { ServiceError } from '../common/errors';
import { ACCESS_LEVEL, AccessLevel } from './access';
import { ApiKeys } from './api-keys';

/** No key came with a request to a protected route. */
export class MissingKeyError extends ServiceError {
  readonly code = 'missing_key';
  readonly httpStatus = 401;
}

/** The key that came is none of the configured ones. */
export class InvalidKeyError extends ServiceError {
  readonly code = 'invalid_key';
  readonly httpStatus = 401;
}

/** An API key on a route that needs an admin key. */
export class WrongRoleError extends ServiceError {
  readonly code = 'wrong_role';
  readonly httpStatus = 403;
}

/** The key a request carries: `Authorization: Bearer …`, `X-Api-Key`, or `?key=` (for a browser's navigation and EventSource, which send no headers). */
export function presentedKey(request: Request): string | undefined {
  const bearer = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
  const header = request.headers['x-api-key'];
  const query = request.query?.key;
  return (
    bearer ??
    (typeof header === 'string' ? header : undefined) ??
    (typeof query === 'string' ? query : undefined)
  );
}

/**
 * Checks that a request carries a key of the role a route needs (`api`: an API or an admin key;
 * `admin`: an admin key); with no keys configured, every request passes. The key itself is never
 * logged or echoed.
 * @throws MissingKeyError, InvalidKeyError (401) or WrongRoleError (403), each with a reason.
 */
export function requireKey(request: Request, level: Exclude<AccessLevel, 'public'>, keys: ApiKeys): void {
  if (!keys.enabled) return;
  const key = presentedKey(request);
  if (key === undefined) {
    throw new MissingKeyError(
      `This route needs ${level === 'admin' ? 'an admin' : 'an API'} key: send it as "Authorization: Bearer <key>" or "X-Api-Key: <key>"`,
    );
  }
  const role = keys.roleOf(key);
  if (!role) throw new InvalidKeyError('The key is not one of this service’s keys');
  if (level === 'admin' && role !== 'admin') throw new WrongRoleError('This route needs an admin key');
}

/**
 * Lets a request through when its route is public, or when it carries a key of the role the route
 * needs ({@link requireKey}). Otherwise 401 or 403 with a JSON reason.
 */
@Injectable()
export class KeyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    @Inject(ApiKeys) private readonly keys: ApiKeys,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const level =
      this.reflector.getAllAndOverride<AccessLevel>(ACCESS_LEVEL, [
        context.getHandler(),
        context.getClass(),
      ]) ?? 'api';
    if (level !== 'public') requireKey(context.switchToHttp().getRequest<Request>(), level, this.keys);
    return true;
  }
}
