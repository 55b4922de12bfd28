import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { waitFor } from './support/control-plane-process';
import { InProcessService, startInProcessService } from './support/in-process-service';
import { watchJobStream } from './support/job-stream';
import { datasetImages } from './support/paths';

describe('the live stream of job changes (/api/stream), with a real worker', () => {
  let service: InProcessService;

  beforeAll(async () => {
    service = await startInProcessService('job-stream');
  }, 60_000);

  afterAll(() => service.close());

  it('streams every change, or with ?status= only the changes into the statuses listed', async () => {
    const everything = await watchJobStream(service.url);
    const outcomes = await watchJobStream(service.url, '?status=reported,rejected,failed');
    let ids: string[];
    try {
      const [first, second] = datasetImages('ilsvrc2012-val-sample');
      const form = new FormData();
      for (const file of [first, second])
        form.append('files', new Blob([readFileSync(file)]), basename(file));
      // Its header passes the door; the worker finds the rest missing and rejects it.
      form.append('files', new Blob([readFileSync(first).subarray(0, 2000)]), 'truncated.jpg');
      const response = await fetch(`${service.url}/api/jobs`, { method: 'POST', body: form });
      expect(response.status).toBe(202);
      ids = ((await response.json()) as { jobs: Array<{ id: string }> }).jobs.map((job) => job.id);
      expect(ids).toHaveLength(3);

      const ended = (status: string) => ['reported', 'rejected', 'failed'].includes(status);
      await waitFor('every job to end in the unfiltered stream', async () =>
        ids.every((id) => everything.jobs.some((job) => job.id === id && ended(job.status)))
          ? true
          : undefined,
      );
      await waitFor('every job to end in the filtered stream', async () =>
        outcomes.jobs.length >= ids.length ? true : undefined,
      );
    } finally {
      everything.stop();
      outcomes.stop();
    }

    expect(outcomes.jobs.map((job) => `${job.id} ${job.status}`).sort()).toEqual(
      [`${ids[0]} reported`, `${ids[1]} reported`, `${ids[2]} rejected`].sort(),
    );
    const statusesOf = (id: string) =>
      everything.jobs.filter((job) => job.id === id).map((job) => job.status);
    expect(statusesOf(ids[0])).toEqual(expect.arrayContaining(['uploaded', 'classified', 'reported']));
  }, 60_000);

  it('answers 400 with a reason for a status it does not know', async () => {
    const response = await fetch(`${service.url}/api/stream?status=reported,done`);
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      error: 'invalid_request',
      message: expect.stringContaining('status must be a comma-separated list of uploaded, queued'),
    });
  });
});
