import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module';
import { createLogger } from './common/logging';
import { loadConfig } from './config/app-config';
import { Leadership } from './ports/leadership.port';

/**
 * Control-plane entry: the web tier, the event log, the machine host, the job pipeline and the
 * fleet with its workers. SIGTERM or SIGINT stop the workers (they drain) and exit 0.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const app = await NestFactory.create(AppModule.forRoot(config), { logger: createLogger() });
  await app.listen(config.port, config.host);
  const logger = new Logger('main');
  const where = config.host.includes(':') ? `[${config.host}]` : config.host;
  const keys =
    config.keys.api.length + config.keys.admin.length > 0
      ? 'keys required'
      : 'no keys: open to whoever reaches it';
  logger.log(
    `Control plane listening on http://${where}:${config.port} (${keys}; data in ${config.dataDir})`,
  );

  let closing = false;
  const close = async (signal: string) => {
    if (closing) return;
    closing = true;
    logger.log(`${signal}: stopping workers and closing`);
    await app.close();
    process.exit(0);
  };
  // Another control plane may lead now: this one stops at once, its workers with it, rather than
  // run effects beside it; its supervisor starts it again, as a follower.
  app.get(Leadership).lost$.subscribe((reason) => {
    logger.error(`Lost the lead (${reason}): exiting`);
    process.exit(1);
  });
  process.on('SIGTERM', () => void close('SIGTERM'));
  process.on('SIGINT', () => void close('SIGINT'));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
