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
import { mkdir, rm, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { finalize, Observable } from 'rxjs';
import { APP_CONFIG, AppConfig } from '../config/app-config';

/**
 * Where uploads are written while their request runs: `DATA_DIR/uploads`. Given to multer as its
 * `dest`, each file streams to its own file there as it arrives, so a request holds no file in
 * memory; multer removes what it wrote when the request fails, {@link RemoveTemporaryUploads}
 * when it ends.
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
  file?: { path: string };
  files?: Array<{ path: string }> | Record<string, Array<{ path: string }>>;
};

/** The temporary files multer wrote for this request. */
function uploadedPaths(request: WithUploads): string[] {
  const files = [
    ...(request.file ? [request.file] : []),
    ...(Array.isArray(request.files) ? request.files : Object.values(request.files ?? {}).flat()),
  ];
  return files.map((file) => file.path).filter(Boolean);
}

/**
 * Deletes the request's temporary upload files once its handler is done with them, whichever
 * way it ended. Put before the upload interceptor, so that it sees what multer wrote.
 */
@Injectable()
export class RemoveTemporaryUploads implements NestInterceptor {
  private readonly logger = new Logger(RemoveTemporaryUploads.name);

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<WithUploads>();
    return next.handle().pipe(
      finalize(() => {
        for (const path of uploadedPaths(request)) {
          unlink(path).catch((error: NodeJS.ErrnoException) => {
            if (error.code !== 'ENOENT') this.logger.warn(`Could not delete ${path}: ${error.message}`);
          });
        }
      }),
    );
  }
}
