import { basename } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { uploadKey } from './image-files';
import { Progress } from './progress';
import type { JobView } from '../api/api-schemas';
import { ENDED, ServiceAnswerError, ServiceClient } from './service-client';

/** How one file ended. */
export interface FileResult {
  file: string;
  jobId?: string;
  /** The job's final status, or `refused` (the service did not take the file), or `error`. */
  status: JobView['status'] | 'refused' | 'error';
  label?: string;
  probability?: number;
  /** Why it has no label. */
  error?: string;
  /** The job was created by an earlier run (the upload was answered from its idempotency key). */
  resumed?: boolean;
}

export interface ClassifyOptions {
  /** Files uploaded and waited for at once (default 4). */
  concurrency: number;
  /** How often a job is looked at while it runs (default 250 ms). */
  pollMs?: number;
  /** Tries of an upload the service answers busy (429, 503), waiting as it asks (default 20). */
  busyTries?: number;
}

/**
 * Uploads each file as a job and waits for its label, `concurrency` at a time, ticking `progress`
 * as each ends. Never throws for one file: its refusal or error is in its result.
 */
export async function classifyFiles(
  client: ServiceClient,
  files: readonly string[],
  options: ClassifyOptions,
  progress: Progress,
): Promise<FileResult[]> {
  const results: FileResult[] = new Array(files.length);
  let next = 0;
  const slot = async () => {
    while (next < files.length) {
      const i = next++;
      results[i] = await classifyOne(client, files[i], options);
      progress.tick(describe(results[i]));
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, slot));
  progress.stop();
  return results;
}

async function classifyOne(
  client: ServiceClient,
  file: string,
  options: ClassifyOptions,
): Promise<FileResult> {
  try {
    const { jobId, replayed } = await uploadWhenNotBusy(client, file, options.busyTries ?? 20);
    let job = await client.job(jobId);
    while (!ENDED.has(job.status)) {
      await sleep(options.pollMs ?? 250);
      job = await client.job(jobId);
    }
    return {
      file,
      jobId,
      status: job.status,
      ...(job.topLabel !== undefined && { label: job.topLabel, probability: job.topProbability }),
      ...(job.error !== undefined && { error: job.error }),
      ...(replayed && { resumed: true }),
    };
  } catch (error) {
    if (error instanceof ServiceAnswerError)
      return { file, status: 'refused', error: `${error.code}: ${error.message}` };
    return { file, status: 'error', error: (error as Error).message };
  }
}

async function uploadWhenNotBusy(client: ServiceClient, file: string, tries: number) {
  const key = await uploadKey(file);
  for (let attempt = 1; ; attempt++) {
    try {
      return await client.upload(file, key);
    } catch (error) {
      const busy = error instanceof ServiceAnswerError && [429, 503].includes(error.httpStatus);
      if (!busy || attempt >= tries) throw error;
      await sleep((error.retryAfterS ?? 1) * 1000);
    }
  }
}

/** One finished file: `cat.jpg: tabby (91 %)` or `x.jpg: refused (…)`; with its whole path when asked. */
export function describe(result: FileResult, wholePath = false): string {
  const name = wholePath ? result.file : basename(result.file);
  if (result.label !== undefined)
    return `${name}: ${result.label} (${Math.round((result.probability ?? 0) * 100)} %)`;
  return `${name}: ${result.status}${result.error ? ` (${result.error})` : ''}`;
}

/** The run in a few lines: how many, how fast, and each file without a label with its reason. */
export function summarise(results: readonly FileResult[], seconds: number): string {
  const labelled = results.filter((r) => r.label !== undefined);
  const failed = results.filter((r) => r.label === undefined);
  const resumed = results.filter((r) => r.resumed).length;
  const lines = [
    `${results.length} images in ${seconds.toFixed(1)} s (${(results.length / Math.max(seconds, 0.001)).toFixed(1)} images/s): ` +
      `${labelled.length} labelled, ${failed.length} without a label` +
      (resumed > 0 ? `; ${resumed} from an earlier run` : ''),
    ...failed.map((r) => `  ${r.file}: ${r.status}${r.error ? `: ${r.error}` : ''}`),
  ];
  return lines.join('\n');
}

/** The results as CSV: a header, then one row per file, quoted where needed (RFC 4180). */
export function toCsv(results: readonly FileResult[]): string {
  const columns = ['file', 'jobId', 'status', 'label', 'probability', 'error'] as const;
  const cell = (value: unknown) => {
    const text = value === undefined ? '' : String(value);
    return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  return (
    [columns.join(','), ...results.map((r) => columns.map((c) => cell(r[c])).join(','))].join('\n') + '\n'
  );
}
