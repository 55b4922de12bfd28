import { ConsoleLogger, LoggerService } from '@nestjs/common';

/**
 * The process's logger: one JSON object per line (env LOG_FORMAT=json, the default), so one job
 * can be followed across the control plane and the workers by its `jobId` and `workerId`; or
 * Nest's coloured lines for a person at a terminal (LOG_FORMAT=pretty).
 */
export function createLogger(format = process.env.LOG_FORMAT ?? 'json'): LoggerService {
  return format === 'pretty' ? new ConsoleLogger() : new ConsoleLogger({ json: true });
}
