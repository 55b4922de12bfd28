import { Injectable } from '@nestjs/common';
import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { ActorHost } from '../actors/actor-host.service';
import { JOB } from '../actors/actor-kinds';
import { CheckpointPart } from '../checkpoint/checkpoint';
import { KeyedQueue } from '../common/keyed-queue';
import { InvalidIdempotencyKeyError } from './upload.errors';
import { UploadedFile, uploadBody } from './uploaded-file';

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

/**
 * A digest of the files of a submission, their names and bytes in order, and its callback URL
 * when it has one; files on disk are streamed.
 */
export async function fingerprintFiles(
  files: readonly UploadedFile[],
  callbackUrl?: string,
): Promise<string> {
  const hash = createHash('sha256');
  if (callbackUrl !== undefined) hash.update(`callback:${Buffer.byteLength(callbackUrl)}:${callbackUrl}:`);
  for (const file of files) {
    hash.update(`${Buffer.byteLength(file.originalname)}:${file.originalname}:`);
    const bytes = createHash('sha256');
    const body = uploadBody(file);
    if (Buffer.isBuffer(body)) bytes.update(body);
    else await pipeline(body, bytes);
    hash.update(bytes.digest());
  }
  return hash.digest('hex');
}

/**
 * The id of the job of file `index` of a submission: derived from its key and its files, so that
 * control planes that take the same submission at once name the same jobs, and the log, which
 * takes each job's first event once, keeps one of each. A UUID of version 8 (RFC 9562: its bits
 * are the first of a SHA-256 digest).
 */
export function submissionJobId(key: string, fingerprint: string, index: number): string {
  const bytes = createHash('sha256').update(`${key}\n${fingerprint}\n${index}`).digest().subarray(0, 16);
  bytes[6] = (bytes[6] & 0x0f) | 0x80;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS submissions (
    key         TEXT    NOT NULL,
    file_index  INTEGER NOT NULL,
    fingerprint TEXT    NOT NULL,
    job_id      TEXT    NOT NULL,
    file_name   TEXT    NOT NULL,
    PRIMARY KEY (key, file_index)
  );
`;

interface SubmissionRow {
  key: string;
  file_index: number;
  fingerprint: string;
  job_id: string;
  file_name: string;
}

/**
 * The submissions made with an `Idempotency-Key`, rebuilt from the log (each `JobUploaded`
 * names its submission) and kept in a table of the host's checkpoint, so that a retry after a
 * timeout or a restart finds the jobs its first try created. Same-key submissions are also run
 * one at a time.
 */
@Injectable()
export class Submissions implements CheckpointPart {
  readonly schema = SCHEMA;
  /** Jobs recorded since the last write of the checkpoint. */
  private readonly unwritten: SubmissionRow[] = [];
  private readonly byKeyInTurn = new KeyedQueue();
  private statements?: ReturnType<typeof prepare>;

  constructor(host: ActorHost) {
    host.checkpoint.add(this);
    host.changes$.subscribe(({ actor, event }) => {
      if (actor.kind !== JOB || event.type !== 'JobUploaded') return;
      const ref = event.data.submission as SubmissionRef | undefined;
      if (!ref) return;
      this.unwritten.push({
        key: ref.key,
        file_index: ref.index,
        fingerprint: ref.fingerprint,
        job_id: actor.id,
        file_name: event.data.fileName as string,
      });
      host.checkpoint.schedule();
    });
  }

  restore(db: Database.Database): void {
    this.statements = prepare(db);
  }

  write(): void {
    if (!this.statements) return;
    for (const row of this.unwritten) this.statements.insert.run(row);
    this.unwritten.length = 0;
  }

  /** What the log records of the submission made with `key`, if any. */
  get(key: string): RecordedSubmission | undefined {
    const rows = [
      ...(this.statements?.byKey.all(key) ?? []),
      ...this.unwritten.filter((row) => row.key === key),
    ];
    if (rows.length === 0) return undefined;
    const jobs = new Map(rows.map((row) => [row.file_index, { id: row.job_id, fileName: row.file_name }]));
    return { fingerprint: rows[0].fingerprint, jobs };
  }

  /** Runs `work` once the submissions made earlier with the same key have finished. */
  serialise<T>(key: string, work: () => Promise<T>): Promise<T> {
    return this.byKeyInTurn.run(key, work);
  }
}

function prepare(db: Database.Database) {
  return {
    insert: db.prepare<SubmissionRow>(
      `INSERT OR REPLACE INTO submissions (key, file_index, fingerprint, job_id, file_name)
       VALUES (@key, @file_index, @fingerprint, @job_id, @file_name)`,
    ),
    byKey: db.prepare<[string], SubmissionRow>('SELECT * FROM submissions WHERE key = ? ORDER BY file_index'),
  };
}
