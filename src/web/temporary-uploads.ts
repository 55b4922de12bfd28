import {
  CallHandler,
  ExecutionContext,
  Inject,
  Injectable,
  Logger,
  NestInterceptor,
  OnModuleInit,
} from '@nestjs/common';
import type { Request } from 'express';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { finalize, Observable } from 'rxjs';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { StoredUpload, UploadStorage } from './upload-storage';

/**
 * Where uploads that do not stay in memory are written while their request runs: `DATA_DIR/uploads`
 * (see {@link UploadStorage}); multer removes what was written when the request fails,
 * {@link ReleaseUploads} when it ends.
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

/** What multer sets on a request: `file` for one field, `files` for an array or several fields. */
type WithUploads = Request & {
  file?: StoredUpload;
  files?: StoredUpload[] | Record<string, StoredUpload[]>;
};

/** The files multer stored for this request. */
function uploadsOf(request: WithUploads): StoredUpload[] {
  return [
    ...(request.file ? [request.file] : []),
    ...(Array.isArray(request.files) ? request.files : Object.values(request.files ?? {}).flat()),
  ];
}

/**
 * Lets go of the request's uploaded files once its handler is done with them, whichever way it
 * ended: their bytes leave the memory budget, their temporary files are deleted. Put before the
 * upload interceptor, so that it sees what multer stored.
 */
@Injectable()
export class ReleaseUploads implements NestInterceptor {
  private readonly logger = new Logger(ReleaseUploads.name);

  constructor(private readonly storage: UploadStorage) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<WithUploads>();
    return next.handle().pipe(
      finalize(() => {
        for (const file of uploadsOf(request)) {
          this.storage.release(file).catch((error: Error) => {
            this.logger.warn(`Could not delete ${file.path}: ${error.message}`);
          });
        }
      }),
    );
  }
}
