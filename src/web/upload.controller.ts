import {
  Body,
  Controller,
  Headers,
  HttpCode,
  Inject,
  Post,
  Res,
  UploadedFile,
  UploadedFiles,
  UseGuards,
  UseInterceptors,
} from '@nestjs/common';
import { FileInterceptor, FilesInterceptor } from '@nestjs/platform-express';
import type { Response } from 'express';
import { z } from 'zod';
import type { ClassifyAnswer, SubmissionAnswer, SubmissionRefused } from '../api/api-schemas';
import { JobsService } from '../jobs/jobs.service';
import { UploadedFile as Upload } from '../jobs/uploaded-file';
import { parseIdempotencyKey } from '../jobs/submissions';
import { NoFileError } from '../jobs/upload.errors';
import { APP_CONFIG, AppConfig, MAX_FILES_CEILING } from '../config/app-config';
import { parseRequest } from '../common/invalid-request.error';
import { parseCallbackUrl } from '../webhooks/callback-url';
import { UploadRateLimit } from '../security/upload-rate-limit';
import { UploadLatencyInterceptor } from '../metrics/upload-latency.interceptor';
import { ClassifyAdmission } from './classify-admission.interceptor';
import { ReleaseUploads } from './temporary-uploads';

/** The text fields of `POST /api/jobs` besides its files. */
export const submissionFields = z.object({
  callbackUrl: z.string().optional().describe("where to POST each job's view, signed, when it ends"),
});

/** Uploads: the REST API, and the course client's `POST /` that answers with the label. */
@Controller()
@UseGuards(UploadRateLimit)
@UseInterceptors(UploadLatencyInterceptor)
export class UploadController {
  constructor(
    private readonly jobs: JobsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * `POST /api/jobs`, multipart, files in field `files`: 202 with the accepted jobs and the
   * refused files with reasons. When every file is refused, the first refusal's status (4xx).
   * With an `Idempotency-Key` header, a retry of the same files answers with the jobs the first
   * try created, creating none, and says so in `Idempotent-Replayed: true`. With a text field
   * `callbackUrl` on an allowed host, each job's view is POSTed there, signed, when it ends.
   */
  @Post('api/jobs')
  @HttpCode(202)
  // The configured limit (MAX_FILES_PER_REQUEST) is the multipart parser's; this is its ceiling.
  @UseInterceptors(ReleaseUploads, FilesInterceptor('files', MAX_FILES_CEILING))
  async create(
    @UploadedFiles() files: Upload[] | undefined,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Body() fields: unknown,
    @Res({ passthrough: true }) res: Response,
  ): Promise<SubmissionAnswer | SubmissionRefused> {
    const key = parseIdempotencyKey(idempotencyKey);
    const { callbackUrl } = parseRequest(submissionFields, fields ?? {});
    if (!files?.length) throw new NoFileError('No file in multipart field "files"');
    const { jobs, rejected, replayed } = await this.jobs.submit(files, {
      idempotencyKey: key,
      callbackUrl: parseCallbackUrl(callbackUrl, this.config.webhooks),
    });
    if (replayed) res.setHeader('Idempotent-Replayed', 'true');
    if (jobs.length === 0) {
      const [first] = rejected;
      res.status(first.httpStatus);
      return { error: first.error, message: first.message, rejected };
    }
    return { jobs, rejected };
  }

  /**
   * The course client's contract: `POST /` with the image in multipart field `myfile` waits for
   * the label and answers 200 `text/plain` with it — or JSON `{ jobId, label, top5 }` when the
   * client accepts `application/json`. Past the result timeout, 504 with a reason; with
   * `MAX_WAITING_CLASSIFY` requests waiting already, 503 with `Retry-After`, before the upload is read.
   */
  @Post()
  @UseInterceptors(ClassifyAdmission, ReleaseUploads, FileInterceptor('myfile'))
  async classify(
    @UploadedFile() file: Upload | undefined,
    @Headers('accept') accept: string | undefined,
    @Res() res: Response,
  ): Promise<void> {
    if (!file) throw new NoFileError('No file in multipart field "myfile"');
    const outcome = await this.jobs.classifyAndWait(file);
    if (accept?.includes('application/json')) {
      res.status(200).json(outcome satisfies ClassifyAnswer);
    } else {
      res.status(200).type('text/plain').send(outcome.label);
    }
  }
}
