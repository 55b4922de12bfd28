import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppModule } from '../../src/app.module';
import { AppConfig, testConfig } from '../../src/config/app-config';

/** The control plane in this process (by default with one real worker process), listening on a free loopback port. */
export interface InProcessService {
  app: INestApplication;
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** Closes the app (its worker drains and stops) and removes its data. */
  close(): Promise<void>;
}

/**
 * Starts the whole app over a fresh data folder named after `name`, with `settings` over the
 * defaults (one worker); resolves once it listens.
 */
export async function startInProcessService(
  name: string,
  settings: Partial<AppConfig> = {},
): Promise<InProcessService> {
  const dataDir = mkdtempSync(join(tmpdir(), `${name}-`));
  const config = testConfig({ port: 0, dataDir, minWorkers: 1, maxWorkers: 1, ...settings });
  const moduleRef = await Test.createTestingModule({ imports: [AppModule.forRoot(config)] }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.listen(0, '127.0.0.1');
  return {
    app,
    url: `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`,
    close: async () => {
      await app.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
