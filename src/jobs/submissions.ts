import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { ActorHost } from '../actors/actor-host.service';
import { JOB } from '../actors/actor-kinds';
import { KeyedQueue } from '../common/keyed-queue';
import { InvalidIdempotencyKeyError } from './upload.errors';

/** What a `JobUploaded` event records of the submission it came from, when the client named one. */
export interface SubmissionRef {
  /** The client's `Idempotency-Key`. */
  key: string;
  /** Digest of the submission's file names and bytes, in order (see {@link fingerprintFiles}). */
  fingerprint: string;
  /** Position of this job's file in the submission. */
  index: number;
}

/** One submission as the log knows it: which of its files became which jobs. */
export interface RecordedSubmission {
  fingerprint: string;
  jobs: Map<number, { id: string; fileName: string }>;
}

/** `Idempotency-Key` as clients send it (Stripe's rules): 1 to 255 printable ASCII characters. */
export function parseIdempotencyKey(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  if (!/^[\x21-\x7e]{1,255}$/.test(header))
    throw new InvalidIdempotencyKeyError(
      'Idempotency-Key must be 1 to 255 printable ASCII characters without spaces',
    );
  return header;
}

/** A digest of the files of a submission, their names and bytes in order; the files are streamed. */
export async function fingerprintFiles(
  files: ReadonlyArray<{ originalname: string; path: string }>,
): Promise<string> {
  const hash = createHash('sha256');
  for (const file of files) {
    hash.update(`${Buffer.byteLength(file.originalname)}:${file.originalname}:`);
    const bytes = createHash('sha256');
    await pipeline(createReadStream(file.path), bytes);
    hash.update(bytes.digest());
  }
  return hash.digest('hex');
}

/**
 * The submissions made with an `Idempotency-Key`, rebuilt from the log (each `JobUploaded`
 * names its submission), so that a retry after a timeout or a restart finds the jobs its first
 * try created. Same-key submissions are also run one at a time.
 */
@Injectable()
export class Submissions {
  private readonly byKey = new Map<string, RecordedSubmission>();
  private readonly byKeyInTurn = new KeyedQueue();

  constructor(host: ActorHost) {
    host.changes$.subscribe(({ actor, event }) => {
      if (actor.kind !== JOB || event.type !== 'JobUploaded') return;
      const ref = event.data.submission as SubmissionRef | undefined;
      if (!ref) return;
      let recorded = this.byKey.get(ref.key);
      if (!recorded) this.byKey.set(ref.key, (recorded = { fingerprint: ref.fingerprint, jobs: new Map() }));
      recorded.jobs.set(ref.index, { id: actor.id, fileName: event.data.fileName as string });
    });
  }

  /** What the log records of the submission made with `key`, if any. */
  get(key: string): RecordedSubmission | undefined {
    return this.byKey.get(key);
  }

  /** Runs `work` once the submissions made earlier with the same key have finished. */
  serialise<T>(key: string, work: () => Promise<T>): Promise<T> {
    return this.byKeyInTurn.run(key, work);
  }
}
