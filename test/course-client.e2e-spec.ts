import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { ControlPlaneProcess, freePort } from './support/control-plane-process';
import { datasetImages, defaultModelLabels } from './support/paths';

/** The course client: `POST /` with multipart field `myfile`, answered with the label as plain text. */
async function postLikeTheCourseClient(
  url: string,
  file: string,
): Promise<{ status: number; type: string; body: string }> {
  const form = new FormData();
  form.append('myfile', new Blob([readFileSync(file)], { type: 'image/jpeg' }), basename(file));
  const res = await fetch(url, { method: 'POST', body: form });
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: await res.text() };
}

describe('the course client contract, end to end with real worker processes', () => {
  let dataDir: string;
  let plane: ControlPlaneProcess;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'course-'));
    plane = new ControlPlaneProcess(dataDir, await freePort(), { MAX_WORKERS: '2' });
    await plane.start();
  });

  afterAll(async () => {
    expect(await plane.stop('SIGTERM')).toBe(0);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers 100 concurrent clients with 100 × 200 text/plain, each a label of the model', async () => {
    const images = datasetImages('cse546-imagenet-100');
    expect(images).toHaveLength(100);
    const labels = defaultModelLabels();

    const answers = await Promise.all(images.map((file) => postLikeTheCourseClient(`${plane.url}/`, file)));

    expect(answers.map((a) => a.status)).toEqual(images.map(() => 200));
    expect(answers.every((a) => a.type.startsWith('text/plain'))).toBe(true);
    expect(answers.filter((a) => !labels.has(a.body))).toEqual([]);
  }, 180_000);

  it('answers JSON with the top-5 when the client accepts it', async () => {
    const form = new FormData();
    form.append('myfile', new Blob([readFileSync(datasetImages('ilsvrc2012-val-sample')[0])]), 'first.jpg');
    const res = await fetch(`${plane.url}/`, {
      method: 'POST',
      body: form,
      headers: { accept: 'application/json' },
    });
    const body = (await res.json()) as {
      status: string;
      label: string;
      top5: { label: string; probability: number }[];
    };

    expect(res.status).toBe(200);
    expect(body.status).toBe('reported');
    expect(body.top5).toHaveLength(5);
    expect(body.top5[0].label).toBe(body.label);
    expect(body.top5.reduce((sum, p) => sum + p.probability, 0)).toBeLessThanOrEqual(1.0000001);
  }, 60_000);
});
