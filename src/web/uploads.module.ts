import { Module } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { TemporaryUploadsFolder, uploadsFolder } from './temporary-uploads';
import { UploadStorage } from './upload-storage';

/** Where uploads wait while their request runs: memory within a budget, else `DATA_DIR/uploads`. */
@Module({
  providers: [
    TemporaryUploadsFolder,
    {
      provide: UploadStorage,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) =>
        new UploadStorage(uploadsFolder(config.dataDir), config.uploadMemoryBytes),
    },
  ],
  exports: [UploadStorage],
})
export class UploadsModule {}
