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
import { SqliteObjectStore } from './local/sqlite-object-store';

describe('AdaptersModule with the local profile', () => {
  let dataDir: string;
  beforeEach(() => (dataDir = mkdtempSync(join(tmpdir(), 'adapters-'))));
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  async function start() {
    const config = testConfig({ port: 0, dataDir });
    const app = await Test.createTestingModule({
      imports: [ConfigModule.forRoot(config), EventsModule, AdaptersModule.forRoot(config)],
    }).compile();
    app.useLogger(false);
    await app.init();
    return app;
  }

  it('opens the SQLite object store and, at start, removes large-body files abandoned over an hour ago', async () => {
    const { largeObjects } = localPaths(dataDir);
    mkdirSync(largeObjects, { recursive: true });
    const abandoned = join(largeObjects, 'left-by-a-killed-writer');
    const recent = join(largeObjects, 'being-written-now');
    writeFileSync(abandoned, 'partial');
    writeFileSync(recent, 'partial');
    const twoHoursAgo = new Date(Date.now() - 2 * 60 * 60_000);
    utimesSync(abandoned, twoHoursAgo, twoHoursAgo);

    const app = await start();
    expect(app.get(ObjectStore)).toBeInstanceOf(SqliteObjectStore);
    expect(existsSync(abandoned)).toBe(false);
    expect(existsSync(recent)).toBe(true);
    await app.close();
  });

  it('moves the objects an older version kept as files into the store, then removes their folder', async () => {
    const { legacyObjects } = localPaths(dataDir);
    const legacy = new FsObjectStore({ rootDir: legacyObjects });
    await legacy.put('inputs/job-1', Buffer.from('jpeg bytes'), { contentType: 'image/jpeg' });
    await legacy.put('outputs/job-1.json', Buffer.from('{"label":"canoe"}'), {
      contentType: 'application/json',
    });

    const app = await start();
    const objects = app.get(ObjectStore);
    expect(await objects.listAll('')).toEqual(['inputs/job-1', 'outputs/job-1.json']);
    expect((await objects.get('inputs/job-1')).toString()).toBe('jpeg bytes');
    expect(await objects.head('inputs/job-1')).toMatchObject({ contentType: 'image/jpeg', size: 10 });
    expect(existsSync(legacyObjects)).toBe(false);
    await app.close();
  });
});
