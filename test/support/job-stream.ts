/** A job's view as `/api/stream` sends it (the fields the tests read). */
export interface StreamedJob {
  id: string;
  status: string;
}

/** The job views a service streams (`/api/stream`, server-sent events), in the order they came. */
export interface WatchedJobStream {
  jobs: StreamedJob[];
  stop(): void;
}

/**
 * Opens `${url}/api/stream${query}` and collects each `job` event's view as it arrives; resolves
 * once the stream is open, so that every change after that is seen.
 */
export async function watchJobStream(url: string, query = ''): Promise<WatchedJobStream> {
  const controller = new AbortController();
  const response = await fetch(`${url}/api/stream${query}`, { signal: controller.signal });
  if (response.status !== 200) throw new Error(`/api/stream${query} answered ${response.status}`);
  const jobs: StreamedJob[] = [];
  void (async () => {
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of response.body!) {
      buffer += decoder.decode(chunk as Uint8Array, { stream: true });
      for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
        const data = buffer
          .slice(0, end)
          .split('\n')
          .find((line) => line.startsWith('data:'));
        buffer = buffer.slice(end + 2);
        if (data) jobs.push(JSON.parse(data.slice('data:'.length)) as StreamedJob);
      }
    }
  })().catch(() => undefined);
  return { jobs, stop: () => controller.abort() };
}
