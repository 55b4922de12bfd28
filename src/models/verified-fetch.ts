import { createReadStream, existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import * as path from 'node:path';
import { downloadVerified } from './http-download';
import type { FetchAttempt } from './model.errors';
import { checkContent, ExpectedContent, writeVerified } from './verified-write';

/** Where one verified file is and how it got there. */
export interface FetchedFile {
  path: string;
  /** `present`: already there with the right sha256, nothing was copied. */
  origin: 'present' | 'mirror' | 'download';
  /** The mirror file or URL it came from (absent when `present`). */
  from?: string;
  /** A file with the wrong content was at `path` and has been removed. */
  replacedInvalid: boolean;
}

/** One file to make present, and the places it may come from. */
export interface VerifiedFileRequest {
  /** Where the file must end up. */
  destPath: string;
  expected: ExpectedContent;
  /** Mirror directories, tried in order; the file is at `mirrorPath` under each. */
  mirrorDirs: readonly string[];
  /** Relative path of the file under a mirror directory. */
  mirrorPath: string;
  /** HTTP(S) URLs tried in order after the mirrors. */
  urls: readonly string[];
  /** Abort a download when no bytes arrive for this long, in ms (default 30 000). */
  downloadIdleTimeoutMs?: number;
}

/** No source gave the file's expected bytes; `attempts` says what each source did. */
export class NoSourceError extends Error {
  constructor(readonly attempts: readonly FetchAttempt[]) {
    super(attempts.map((a) => `${a.source}: ${a.failure}`).join('; ') || 'no sources');
  }
}

/**
 * Makes one file present with its expected content: kept if it already matches, else copied from
 * the first mirror that has the right bytes, else downloaded from the first URL that serves them.
 * The file appears at `destPath` only when verified (see {@link writeVerified}); a wrong file found
 * there is removed.
 *
 * @throws NoSourceError listing every source tried and why each failed.
 */
export async function fetchVerifiedFile(request: VerifiedFileRequest): Promise<FetchedFile> {
  const { destPath, expected } = request;
  const existing = await checkContent(destPath, expected);
  if (existing === 'valid') return { path: destPath, origin: 'present', replacedInvalid: false };
  const replacedInvalid = existing === 'invalid';
  if (replacedInvalid) await rm(destPath, { force: true });

  const attempts: FetchAttempt[] = [];
  for (const dir of request.mirrorDirs) {
    const source = path.join(dir, request.mirrorPath);
    if (!existsSync(dir)) {
      attempts.push({ source, failure: `mirror directory ${dir} does not exist` });
      continue;
    }
    try {
      await writeVerified(createReadStream(source), destPath, expected);
      return { path: destPath, origin: 'mirror', from: source, replacedInvalid };
    } catch (error) {
      attempts.push({ source, failure: describe(error) });
    }
  }
  for (const url of request.urls) {
    try {
      await downloadVerified(url, destPath, expected, { idleTimeoutMs: request.downloadIdleTimeoutMs });
      return { path: destPath, origin: 'download', from: url, replacedInvalid };
    } catch (error) {
      attempts.push({ source: url, failure: describe(error) });
    }
  }
  throw new NoSourceError(attempts);
}

function describe(error: unknown): string {
  if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'not found';
  // Duck-typed: errors raised inside fetch() may come from another realm, where instanceof fails.
  const message = (error as Error)?.message ?? String(error);
  // fetch() reports every network failure as "fetch failed"; the useful part is the cause.
  const cause = (error as { cause?: { message?: unknown } })?.cause?.message;
  return typeof cause === 'string' ? `${message} (${cause})` : message;
}
