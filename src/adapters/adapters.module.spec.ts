import { Test } from '@nestjs/testing';
import { existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testConfig } from '../config/app-config';
import { ConfigModule } from '../config/config.module';
import { EventsModule } from '../events/events.module';
import { ObjectStore } from '../ports/object-store.port';
import { AdaptersModule } from './adapters.module';
import { FsObjectStore } from './local/fs-object-store';
import { localPaths } from './local/local-adapters';

describe('AdaptersModule with the local profile', () => {
  let dataDir: string;
  beforeEach(() => (dataDir = mkdtempSync(join(tmpdir(), 'adapters-'))));
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('opens the folder object store and, at start, removes temporary files abandoned over an hour ago', async () => {
    const inputs = join(localPaths(dataDir).objects, 'inputs');
    mkdirSync(inputs, { recursive: true });
    const abandoned = join(inputs, '.%tmp-0123456789abcdef');
    const recent = join(inputs, '.%tmp-fedcba9876543210');
    writeFileSync(abandoned, 'partial');
    writeFileSync(recent, 'partial');
    const twoHoursAgo = new Date(Date.now() - 2 * 60 * 60_000);
    utimesSync(abandoned, twoHoursAgo, twoHoursAgo);

    const config = testConfig({ port: 0, dataDir });
    const app = await Test.createTestingModule({
      imports: [ConfigModule.forRoot(config), EventsModule, AdaptersModule.forRoot(config)],
    }).compile();
    app.useLogger(false);
    await app.init();

    expect(app.get(ObjectStore)).toBeInstanceOf(FsObjectStore);
    expect(existsSync(abandoned)).toBe(false);
    expect(existsSync(recent)).toBe(true);
    await app.close();
  });
});
