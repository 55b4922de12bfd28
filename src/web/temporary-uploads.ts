import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { APP_CONFIG, AppConfig } from '../config/app-config';

/**
 * Where uploads that do not stay in memory are written while their request runs: `DATA_DIR/uploads`
 * (see `UploadStorage`); the upload routes remove what was written when their request ends.
 */
export const uploadsFolder = (dataDir: string) => join(dataDir, 'uploads');

/** Empties the uploads folder at boot: what is there belonged to requests a crash cut short. */
@Injectable()
export class TemporaryUploadsFolder implements OnModuleInit {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  async onModuleInit(): Promise<void> {
    const folder = uploadsFolder(this.config.dataDir);
    await rm(folder, { recursive: true, force: true });
    await mkdir(folder, { recursive: true });
  }
}
