import { INestApplication } from '@nestjs/common';
import { readFileSync } from 'node:fs';
import request from 'supertest';
import { waitFor } from './support/control-plane-process';
import { InProcessService, startInProcessService } from './support/in-process-service';
import { datasetImages } from './support/paths';

describe('bounds on what one request, and the waiting requests together, may hold', () => {
  let service: InProcessService;
  let app: INestApplication;
  const jpeg = readFileSync(datasetImages('ilsvrc2012-val-sample')[0]);

  beforeAll(async () => {
    // No worker, ever (a maximum of none): a POST / waits until its result timeout.
    service = await startInProcessService('upload-limits', {
      minWorkers: 0,
      maxWorkers: 0,
      multipart: { files: 3, parts: 6, fields: 1, fieldBytes: 16, headerPairs: 100 },
      maxWaitingClassify: 1,
      resultTimeoutMs: 3_000,
    });
    app = service.app;
  });
  afterAll(() => service.close());

  const jobsRecorded = async () =>
    (await request(app.getHttpServer()).get('/api/jobs?limit=1').expect(200)).body.total as number;

  it.each([
    ['more files than MAX_FILES_PER_REQUEST', 4, [], 'Too many files'],
    [
      'more text fields than MAX_MULTIPART_FIELDS',
      1,
      [
        ['a', '1'],
        ['b', '2'],
      ],
      'Too many fields',
    ],
    ['a field value longer than MAX_FIELD_BYTES', 1, [['note', 'x'.repeat(17)]], 'Field value too long'],
  ])('refuses %s with a 4xx naming the limit, recording no job', async (_, files, fields, reason) => {
    const before = await jobsRecorded();
    let req = request(app.getHttpServer()).post('/api/jobs');
    for (const [name, value] of fields as string[][]) req = req.field(name, value);
    for (let i = 0; i < (files as number); i++) req = req.attach('files', jpeg, `photo-${i}.jpg`);
    const res = await req;
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(res.body.message).toContain(reason);
    expect(await jobsRecorded()).toBe(before);
  });

  it('turns away a POST / past MAX_WAITING_CLASSIFY with 503 and Retry-After, and admits again once one ends', async () => {
    const first = request(app.getHttpServer())
      .post('/')
      .attach('myfile', jpeg, 'first.jpg')
      .then((r) => r);
    const before = await jobsRecorded();
    await waitFor('the first request to be waiting', async () =>
      (await jobsRecorded()) > before ? true : undefined,
    );

    const turnedAway = await request(app.getHttpServer()).post('/').attach('myfile', jpeg, 'second.jpg');
    expect(turnedAway.status).toBe(503);
    expect(turnedAway.headers['retry-after']).toBe('5');
    expect(turnedAway.body).toMatchObject({
      error: 'too_many_waiting',
      message: expect.stringContaining('MAX_WAITING_CLASSIFY'),
    });

    // The first ends at its result timeout (no worker runs); its place is free again.
    expect((await first).status).toBe(504);
    const third = await request(app.getHttpServer()).post('/').attach('myfile', jpeg, 'third.jpg');
    expect(third.status).toBe(504);
  }, 30_000);
});
