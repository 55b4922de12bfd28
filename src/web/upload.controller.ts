import {
  Controller,
  Headers,
  HttpCode,
  Post,
  Res,
  UploadedFile,
  UploadedFiles,
  UseInterceptors,
} from '@nestjs/common';
import { FileInterceptor, FilesInterceptor } from '@nestjs/platform-express';
import type { Response } from 'express';
import { JobsService, UploadedFile as Upload } from '../jobs/jobs.service';
import { NoFileError } from '../jobs/upload.errors';
import { UploadLatencyInterceptor } from '../metrics/upload-latency.interceptor';

/** Most files in one `POST /api/jobs`. */
export const MAX_FILES_PER_REQUEST = 500;

/** Uploads: the REST API, and the course client's `POST /` that answers with the label. */
@Controller()
@UseInterceptors(UploadLatencyInterceptor)
export class UploadController {
  constructor(private readonly jobs: JobsService) {}

  /**
   * `POST /api/jobs`, multipart, files in field `files`: 202 with the accepted jobs and the
   * refused files with reasons. When every file is refused, the first refusal's status (4xx).
   */
  @Post('api/jobs')
  @HttpCode(202)
  @UseInterceptors(FilesInterceptor('files', MAX_FILES_PER_REQUEST))
  async create(@UploadedFiles() files: Upload[] | undefined, @Res({ passthrough: true }) res: Response) {
    if (!files?.length) throw new NoFileError('No file in multipart field "files"');
    const result = await this.jobs.submit(files);
    if (result.jobs.length === 0) {
      const [first] = result.rejected;
      res.status(first.httpStatus);
      return { error: first.error, message: first.message, rejected: result.rejected };
    }
    return result;
  }

  /**
   * The course client's contract: `POST /` with the image in multipart field `myfile` waits for
   * the label and answers 200 `text/plain` with it — or JSON `{ jobId, label, top5 }` when the
   * client accepts `application/json`. Past the result timeout, 504 with a reason.
   */
  @Post()
  @UseInterceptors(FileInterceptor('myfile'))
  async classify(
    @UploadedFile() file: Upload | undefined,
    @Headers('accept') accept: string | undefined,
    @Res() res: Response,
  ): Promise<void> {
    if (!file) throw new NoFileError('No file in multipart field "myfile"');
    const outcome = await this.jobs.classifyAndWait(file);
    if (accept?.includes('application/json')) {
      res.status(200).json(outcome);
    } else {
      res.status(200).type('text/plain').send(outcome.label);
    }
  }
}
