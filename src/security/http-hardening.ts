import cors from 'cors';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import helmet from 'helmet';

/**
 * helmet's headers with a Content Security Policy that the upload page and `/debug` pass with no
 * inline script: scripts, connections and frames from this origin only. Styles may be inline
 * because mermaid writes its diagrams' styles into the SVG it renders; images may be `blob:`, the
 * page's thumbnails of the files being uploaded. No `upgrade-insecure-requests`: behind a TLS
 * proxy the browser is on HTTPS already, and on plain HTTP (loopback, a private network) it would
 * send the page's requests to a port nothing listens on.
 */
export function securityHeaders(): RequestHandler {
  return helmet({
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'blob:', 'data:'],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        upgradeInsecureRequests: null,
      },
    },
  });
}

/** CORS for the given origins only: they may call the API with a key from their pages. */
export function corsFor(origins: readonly string[]): RequestHandler {
  return cors({
    origin: [...origins],
    allowedHeaders: ['Authorization', 'X-Api-Key', 'Content-Type', 'Idempotency-Key', 'Accept'],
    exposedHeaders: ['Retry-After', 'Idempotent-Replayed'],
    maxAge: 600,
  });
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Refuses a request that changes something (any method but GET, HEAD and OPTIONS) when a browser
 * sent it from a page of another origin that CORS_ORIGINS does not list: a form on any web site
 * could otherwise post to a service its visitor can reach (on their machine or network) and that
 * takes no key. Clients that are not browsers send no `Origin` and are not concerned. The host is
 * compared, not the scheme, so that a TLS proxy in front does not matter.
 */
export function refuseCrossOriginWrites(allowed: readonly string[]): RequestHandler {
  return (request: Request, response: Response, next: NextFunction) => {
    if (SAFE_METHODS.has(request.method)) return next();
    const origin = request.headers.origin;
    const site = request.headers['sec-fetch-site'];
    const sameHost =
      origin !== undefined && URL.canParse(origin) && new URL(origin).host === request.headers.host;
    const crossSite = origin === undefined ? site === 'cross-site' || site === 'same-site' : !sameHost;
    if (!crossSite || (origin !== undefined && allowed.includes(origin))) return next();
    response.status(403).json({
      error: 'cross_origin',
      message: `A page of ${origin ?? 'another site'} may not send requests here; list its origin in CORS_ORIGINS to allow it`,
    });
  };
}
