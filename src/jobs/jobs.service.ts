import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { TimeoutError } from 'rxjs';
import { ActorExistsError } from '../actors/actor-host.errors';
import { ActorHost } from '../actors/actor-host.service';
import { JOB } from '../actors/actor-kinds';
import { ServiceError } from '../common/errors';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { objectKeys } from '../pipeline/messages';
import { REQUEST_QUEUE } from '../pipeline/queue-tokens';
import { ObjectStore } from '../ports/object-store.port';
import { Queue } from '../ports/queue.port';
import { cleanFileName } from './file-name';
import { jobEffects } from './job-effects';
import { JobOutcome, JobOutcomes } from './job-outcomes';
import {
  fingerprintFiles,
  RecordedSubmission,
  SubmissionRef,
  submissionJobId,
  Submissions,
} from './submissions';
import { IdempotencyKeyReusedError, JobUnsuccessfulError, ResultTimeoutError } from './upload.errors';
import { validateImage, ValidatedImage } from './upload-validator';
import { UploadedFile, uploadBody } from './uploaded-file';

export interface AcceptedJob {
  id: string;
  fileName: string;
}

export interface RefusedFile {
  fileName: string;
  error: string;
  message: string;
  httpStatus: number;
}

/** How a submission of files is made. */
export interface SubmitOptions {
  /** The client's `Idempotency-Key`, if it sent one. */
  idempotencyKey?: string;
  /** Where each job's view is POSTed when it ends (checked already: see `parseCallbackUrl`). */
  callbackUrl?: string;
}

/** The answer to a submission of files. */
export interface SubmissionResult {
  jobs: AcceptedJob[];
  rejected: RefusedFile[];
  /** The jobs were created by an earlier submission with the same `Idempotency-Key`. */
  replayed: boolean;
}

/**
 * The job pipeline on the control plane: takes uploads (validated, stored, recorded); the job
 * machine's effects ({@link jobEffects}, handed to the host here) enqueue them and report their
 * outcome.
 */
@Injectable()
export class JobsService {
  constructor(
    private readonly host: ActorHost,
    private readonly objects: ObjectStore,
    @Inject(REQUEST_QUEUE) requests: Queue,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly outcomes: JobOutcomes,
    private readonly submissions: Submissions,
  ) {
    host.handle(JOB, jobEffects({ requests }));
  }

  /**
   * Accepts each valid file as a job; refuses the others with a reason. Nothing is recorded for
   * a refused file, and an accepted one is stored before its job exists. File names are cleaned
   * first ({@link cleanFileName}), and the jobs and refusals carry the cleaned names.
   *
   * With an `idempotencyKey`, a submission of the same files with the same key answers with the
   * jobs the first one created and creates none (`replayed: true`), across restarts too; only
   * files the first one did not get to (it was cut short) become new jobs.
   *
   * With a `callbackUrl` (checked already), each job's view is POSTed there when it ends.
   * @throws IdempotencyKeyReusedError when the key was used for other files (or another callback URL).
   */
  async submit(uploads: UploadedFile[], options: SubmitOptions = {}): Promise<SubmissionResult> {
    const files = uploads.map(withCleanName);
    const { idempotencyKey } = options;
    if (idempotencyKey === undefined) return this.submitFiles(files, options);
    return this.submissions.serialise(idempotencyKey, () => this.submitFiles(files, options));
  }

  private async submitFiles(
    files: UploadedFile[],
    { idempotencyKey: key, callbackUrl }: SubmitOptions,
  ): Promise<SubmissionResult> {
    const fingerprint = key === undefined ? undefined : await fingerprintFiles(files, callbackUrl);
    const earlier = key === undefined ? undefined : this.submissions.get(key);
    if (earlier && earlier.fingerprint !== fingerprint)
      throw new IdempotencyKeyReusedError(`Idempotency-Key "${key}" was used for other files`);
    const jobs: AcceptedJob[] = [];
    const rejected: RefusedFile[] = [];
    const known = key === undefined ? new Map() : await this.knownJobs(key, fingerprint!, files, earlier);
    const jobIdOf = (i: number) => (key === undefined ? randomUUID() : submissionJobId(key, fingerprint!, i));
    // Check and store the files side by side, then record the jobs in the order the files came.
    const prepared = await Promise.allSettled(
      files.map((file, i) => (known.has(i) ? Promise.resolve(undefined) : this.prepare(file, jobIdOf(i)))),
    );
    // Recorded side by side, in the order the files came: the log commits them together, and
    // their requests reach the queue together, where a worker can take them as one batch.
    const recording: Array<Promise<boolean>> = [];
    for (const [i, result] of prepared.entries()) {
      const file = files[i];
      const recorded = known.get(i);
      if (recorded) {
        jobs.push(recorded);
        continue;
      }
      if (result.status === 'fulfilled') {
        const { jobId, image } = result.value!;
        const submission = key === undefined ? undefined : { key, fingerprint: fingerprint!, index: i };
        recording.push(this.record(jobId, file, image, { submission, callbackUrl }));
        jobs.push({ id: jobId, fileName: file.originalname });
        continue;
      }
      const error: unknown = result.reason;
      if (!(error instanceof ServiceError)) throw error;
      rejected.push({
        fileName: file.originalname,
        error: error.code,
        message: error.message,
        httpStatus: error.httpStatus,
      });
    }
    const recorded = await Promise.allSettled(recording);
    const failed = recorded.find((outcome) => outcome.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
    // Another control plane recorded some of them first: this submission was made before.
    const recordedElsewhere = recorded.some((outcome) => outcome.status === 'fulfilled' && !outcome.value);
    return { jobs, rejected, replayed: known.size > 0 || recordedElsewhere };
  }

  /**
   * The jobs of a submission with a key that exist already, by the place of their file: those
   * this control plane folded, and those only the log holds yet (another control plane recorded
   * them an instant ago). Their files are neither checked nor stored again.
   */
  private async knownJobs(
    key: string,
    fingerprint: string,
    files: UploadedFile[],
    earlier: RecordedSubmission | undefined,
  ): Promise<Map<number, AcceptedJob>> {
    const known = new Map<number, AcceptedJob>(earlier?.jobs ?? []);
    await Promise.all(
      files.map(async (file, i) => {
        if (known.has(i)) return;
        const id = submissionJobId(key, fingerprint, i);
        if (await this.host.find(JOB.streamId(id))) known.set(i, { id, fileName: file.originalname });
      }),
    );
    return known;
  }

  /**
   * Accepts one file and waits for its label (the course client's contract).
   * @throws the validation error for a bad file; JobUnsuccessfulError; ResultTimeoutError.
   */
  async classifyAndWait(upload: UploadedFile): Promise<Extract<JobOutcome, { status: 'reported' }>> {
    const file = withCleanName(upload);
    const { jobId, image } = await this.prepare(file, randomUUID());
    // Listen before the job exists: a fast worker must not finish before anyone waits.
    const outcome = this.outcomes.next(jobId, this.config.resultTimeoutMs);
    outcome.catch(() => undefined);
    await this.record(jobId, file, image);
    try {
      const ended = await outcome;
      if (ended.status !== 'reported')
        throw new JobUnsuccessfulError(`Job ${jobId} ${ended.status}: ${ended.reason}`);
      return ended;
    } catch (error) {
      if (!(error instanceof TimeoutError)) throw error;
      throw new ResultTimeoutError(
        `No label for job ${jobId} within ${this.config.resultTimeoutMs} ms; it stays queued, see /api/jobs/${jobId}`,
      );
    }
  }

  /** Checks an upload and stores its bytes under the job id it will have; nothing is recorded yet. */
  private async prepare(
    file: UploadedFile,
    jobId: string,
  ): Promise<{ jobId: string; image: ValidatedImage }> {
    const image = await validateImage(file, {
      maxBytes: this.config.maxUploadBytes,
      maxPixels: this.config.maxImagePixels,
    });
    await this.objects.put(objectKeys.input(jobId), uploadBody(file), {
      contentType: image.contentType,
    });
    return { jobId, image };
  }

  /**
   * Records the job, whose input is stored; its machine then asks for it to be enqueued.
   * @returns whether this call recorded it: false when the job of a submission with a key
   *   existed already (another control plane took the same submission at the same time).
   */
  private async record(
    jobId: string,
    file: UploadedFile,
    image: ValidatedImage,
    { submission, callbackUrl }: { submission?: SubmissionRef; callbackUrl?: string } = {},
  ): Promise<boolean> {
    try {
      await this.host.dispatch(JOB.streamId(jobId), {
        type: 'JobUploaded',
        jobId,
        fileName: file.originalname,
        contentType: image.contentType,
        sizeBytes: file.size,
        maxAttempts: this.config.maxAttempts,
        deadlineMs: this.config.jobDeadlineMs,
        ...(submission && { submission }),
        ...(callbackUrl !== undefined && { callbackUrl }),
      });
      return true;
    } catch (error) {
      if (submission && error instanceof ActorExistsError) return false;
      throw error;
    }
  }
}

const withCleanName = (file: UploadedFile): UploadedFile => ({
  ...file,
  originalname: cleanFileName(file.originalname),
});
