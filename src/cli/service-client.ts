import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { JobStatus, JobView } from '../api/api-schemas';

/** Where the service is and how to call it. */
export interface ServiceOptions {
  /** The service's address (env EIR_URL, default http://localhost:3000). */
  url: string;
  /** An API key, sent as `Authorization: Bearer …` (env EIR_API_KEY); none by default. */
  key?: string;
}

/** The statuses a job does not leave. */
export const ENDED: ReadonlySet<JobStatus> = new Set(['reported', 'rejected', 'failed']);

/** A refusal or failure the service answered with: its status, code and reason. */
export class ServiceAnswerError extends Error {
  constructor(
    readonly httpStatus: number,
    readonly code: string,
    message: string,
    readonly retryAfterS?: number,
  ) {
    super(message);
  }
}

/** The service's REST API, as the command-line client uses it. */
export class ServiceClient {
  constructor(private readonly options: ServiceOptions) {}

  /**
   * Uploads one image as a job (`POST /api/jobs`), with `idempotencyKey` so that a retry, or a
   * later run over the same file, gets the job the first upload created.
   * @throws ServiceAnswerError when the service refuses the file (its reason) or is busy (429/503).
   */
  async upload(path: string, idempotencyKey: string): Promise<{ jobId: string; replayed: boolean }> {
    const form = new FormData();
    form.append('files', new Blob([await readFile(path)]), basename(path));
    const res = await this.call('/api/jobs', {
      method: 'POST',
      body: form,
      headers: { 'Idempotency-Key': idempotencyKey },
    });
    const body = (await res.json()) as { jobs: Array<{ id: string }> };
    return { jobId: body.jobs[0].id, replayed: res.headers.get('idempotent-replayed') === 'true' };
  }

  async job(id: string): Promise<JobView> {
    return (await this.call(`/api/jobs/${encodeURIComponent(id)}`)).json() as Promise<JobView>;
  }

  async fleet(): Promise<unknown> {
    return (await this.call('/api/fleet')).json();
  }

  private async call(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.options.key) headers.set('Authorization', `Bearer ${this.options.key}`);
    const res = await fetch(new URL(path, this.options.url), { ...init, headers });
    if (res.ok) return res;
    const text = await res.text();
    let answer: { error?: string; message?: string } = {};
    try {
      answer = JSON.parse(text) as typeof answer;
    } catch {
      answer = { message: text };
    }
    const retryAfter = Number(res.headers.get('retry-after'));
    throw new ServiceAnswerError(
      res.status,
      answer.error ?? `http_${res.status}`,
      answer.message ?? res.statusText,
      Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined,
    );
  }
}
