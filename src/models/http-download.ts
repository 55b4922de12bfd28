import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { ExpectedContent, writeVerified } from './verified-write';

/** Options of {@link downloadVerified}. */
export interface DownloadOptions {
  /** Abort when no bytes arrive for this long, in ms (default 30 000). */
  idleTimeoutMs?: number;
}

/**
 * Downloads `url` (HTTP or HTTPS, following redirects) to `destPath` through {@link writeVerified}:
 * the file appears only if its size and sha256 match.
 *
 * @throws Error `HTTP <status>` for a non-2xx answer, a network error, or ContentMismatch.
 */
export async function downloadVerified(
  url: string,
  destPath: string,
  expected: ExpectedContent,
  options: DownloadOptions = {},
): Promise<void> {
  const idleTimeoutMs = options.idleTimeoutMs ?? 30_000;
  const controller = new AbortController();
  // An idle timeout rather than a total one: a 45 MB model on a slow link is fine while bytes flow.
  const idle = setTimeout(
    () => controller.abort(new Error(`no data for ${idleTimeoutMs} ms`)),
    idleTimeoutMs,
  );
  try {
    const response = await fetch(url, { redirect: 'follow', signal: controller.signal });
    if (!response.ok || !response.body) {
      await response.body?.cancel();
      throw new Error(`HTTP ${response.status} ${response.statusText}`.trim());
    }
    const body = Readable.fromWeb(response.body as WebReadableStream<Uint8Array>);
    await writeVerified(refreshOnData(body, idle), destPath, expected);
  } finally {
    clearTimeout(idle);
  }
}

async function* refreshOnData(
  body: AsyncIterable<Uint8Array>,
  idle: NodeJS.Timeout,
): AsyncIterable<Uint8Array> {
  for await (const chunk of body) {
    idle.refresh();
    yield chunk;
  }
}
