import { SetMetadata } from '@nestjs/common';

/**
 * Who may call a route when keys are set: `public` (anyone: the page, health), `api` (an API or
 * admin key: uploads, jobs, the stream) or `admin` (an admin key: the visualizer, metrics, the
 * fleet and the autoscaler). A route without the decorator is `api`.
 */
export type AccessLevel = 'public' | 'api' | 'admin';

export const ACCESS_LEVEL = 'eir:access-level';

/** Sets the access level of a controller or a route. */
export const Access = (level: AccessLevel) => SetMetadata(ACCESS_LEVEL, level);
