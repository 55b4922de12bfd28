import { Inject, Injectable } from '@nestjs/common';
import type { Request, Response } from 'express';
import { z } from 'zod';
import type { ClassifyAnswer, SubmissionAnswer, SubmissionRefused } from '../api/api-schemas';
import { parseRequest } from '../common/invalid-request.error';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { JobsService } from '../jobs/jobs.service';
import { parseIdempotencyKey } from '../jobs/submissions';
import { NoFileError } from '../jobs/upload.errors';
import { UploadLatency } from '../metrics/upload-latency';
import { ApiKeys } from '../security/api-keys';
import { requireKey } from '../security/key.guard';
import { UploadRateLimit } from '../security/upload-rate-limit';
import { parseCallbackUrl } from '../webhooks/callback-url';
import { ClassifyAdmission } from './classify-admission';
import { MultipartForm, MultipartLimits, readMultipartForm } from './multipart-form';
import { UploadStorage } from './upload-storage';

/** The text fields of `POST /api/jobs` besides its files. */
export const submissionFields = z.object({
  callbackUrl: z.string().optional().describe("where to POST each job's view, signed, when it ends"),
});

/**
 * The upload routes: the REST API's `POST /api/jobs`, and the course client's `POST /` that
 * answers with the label. They are Express handlers that Nest mounts ahead of its router (see
 * `UploadsModule`), not controller methods: an upload is the service's most frequent request,
 * and Nest's pipeline around a controller method (guards, interceptors, multer) cost more CPU per
 * upload than recording its job (see the README's performance section). Each does what that
 * pipeline did, in the same order: it times the request, checks the key and the rate limit,
 * reads the multipart body (files into {@link UploadStorage}) and lets go of the files once it
 * has answered. What it throws, Nest's exception filter answers, as for any route.
 */
@Injectable()
export class UploadRoutes {
  private readonly limits: MultipartLimits;

  constructor(
    private readonly jobs: JobsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly keys: ApiKeys,
    private readonly rateLimit: UploadRateLimit,
    private readonly latency: UploadLatency,
    private readonly admission: ClassifyAdmission,
    private readonly storage: UploadStorage,
  ) {
    this.limits = { fileBytes: config.maxUploadBytes, ...config.multipart };
  }

  /**
   * `POST /api/jobs`, multipart, files in field `files`: 202 with the accepted jobs and the
   * refused files with reasons. When every file is refused, the first refusal's status (4xx).
   * With an `Idempotency-Key` header, a retry of the same files answers with the jobs the first
   * try created, creating none, and says so in `Idempotent-Replayed: true`. With a text field
   * `callbackUrl` on an allowed host, each job's view is POSTed there, signed, when it ends.
   */
  async submit(request: Request, response: Response): Promise<void> {
    this.latency.time('/api/jobs', response);
    await this.admit(request, response);
    const idempotencyKey = parseIdempotencyKey(request.headers['idempotency-key'] as string | undefined);
    await this.withForm(request, 'files', this.limits.files, async ({ files, fields }) => {
      const { callbackUrl } = parseRequest(submissionFields, fields);
      if (files.length === 0) throw new NoFileError('No file in multipart field "files"');
      const { jobs, rejected, replayed } = await this.jobs.submit(files, {
        idempotencyKey,
        callbackUrl: parseCallbackUrl(callbackUrl, this.config.webhooks),
      });
      if (replayed) response.setHeader('Idempotent-Replayed', 'true');
      if (jobs.length === 0) {
        const [first] = rejected;
        const refused: SubmissionRefused = { error: first.error, message: first.message, rejected };
        response.status(first.httpStatus).json(refused);
        return;
      }
      response.status(202).json({ jobs, rejected } satisfies SubmissionAnswer);
    });
  }

  /**
   * The course client's contract: `POST /` with the image in multipart field `myfile` waits for
   * the label and answers 200 `text/plain` with it — or JSON `{ jobId, label, top5 }` when the
   * client accepts `application/json`. Past the result timeout, 504 with a reason; with
   * `MAX_WAITING_CLASSIFY` requests waiting already, 503 with `Retry-After`, before the upload is read.
   */
  async classify(request: Request, response: Response): Promise<void> {
    this.latency.time('/', response);
    await this.admit(request, response);
    const leave = this.admission.enter();
    try {
      await this.withForm(request, 'myfile', 1, async ({ files: [file] }) => {
        if (!file) throw new NoFileError('No file in multipart field "myfile"');
        const outcome = await this.jobs.classifyAndWait(file);
        if (request.headers.accept?.includes('application/json')) {
          response.status(200).json(outcome satisfies ClassifyAnswer);
        } else {
          response.status(200).type('text/plain').send(outcome.label);
        }
      });
    } finally {
      leave();
    }
  }

  /** What every upload needs first: a key of the `api` role (when keys are set), and the rate limit. */
  private async admit(request: Request, response: Response): Promise<void> {
    requireKey(request, 'api', this.keys);
    await this.rateLimit.admit(request, response);
  }

  /** Reads the request's multipart body and runs `handle` on it; then lets go of its files, whatever happened. */
  private async withForm(
    request: Request,
    fileField: string,
    maxFiles: number,
    handle: (form: MultipartForm) => Promise<void>,
  ): Promise<void> {
    const form = await readMultipartForm(request, {
      fileField,
      maxFiles,
      limits: this.limits,
      storage: this.storage,
    });
    try {
      await handle(form);
    } finally {
      this.storage.releaseAll(form.files);
    }
  }
}
