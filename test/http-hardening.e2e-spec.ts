import { readFileSync } from 'node:fs';
import request from 'supertest';
import { keyDigest } from '../src/security/api-keys';
import { AppConfig } from '../src/config/app-config';
import { InProcessService, startInProcessService } from './support/in-process-service';
import { datasetImages } from './support/paths';

const jpeg = readFileSync(datasetImages('ilsvrc2012-val-sample')[0]);
// No worker runs: the jobs these tests make only wait in the queue.
const NO_WORKERS: Partial<AppConfig> = { minWorkers: 0, maxWorkers: 0 };

describe('security headers, CORS and other sites’ form posts', () => {
  let service: InProcessService;
  let corsService: InProcessService;
  const trustedOrigin = 'http://app.example';

  beforeAll(async () => {
    [service, corsService] = await Promise.all([
      startInProcessService('http-hardening', NO_WORKERS),
      startInProcessService('http-hardening-cors', { ...NO_WORKERS, corsOrigins: [trustedOrigin] }),
    ]);
  });
  afterAll(() => Promise.all([service?.close(), corsService?.close()]));

  const upload = (target: InProcessService) =>
    request(target.app.getHttpServer()).post('/api/jobs').attach('files', jpeg, 'photo.jpg');

  it.each(['/', '/api/jobs', '/no-such-page'])(
    'sends helmet’s headers, a strict CSP and no X-Powered-By on %s',
    async (path) => {
      const res = await request(service.app.getHttpServer()).get(path);
      expect(res.headers['content-security-policy']).toMatch(/default-src 'self'.*script-src 'self'/);
      expect(res.headers['content-security-policy']).not.toMatch(/script-src[^;]*unsafe-inline/);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
      expect(res.headers['x-powered-by']).toBeUndefined();
    },
  );

  it('answers no CORS request unless CORS_ORIGINS is set', async () => {
    const preflight = await request(service.app.getHttpServer())
      .options('/api/jobs')
      .set('Origin', trustedOrigin)
      .set('Access-Control-Request-Method', 'POST');
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
    const read = await request(service.app.getHttpServer()).get('/api/jobs').set('Origin', trustedOrigin);
    expect(read.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('refuses a post from another site’s page with 403 cross_origin, recording no job', async () => {
    const before = (await request(service.app.getHttpServer()).get('/api/jobs')).body.total;
    const fromOrigin = await upload(service).set('Origin', 'http://evil.example');
    expect(fromOrigin.status).toBe(403);
    expect(fromOrigin.body).toEqual({
      error: 'cross_origin',
      message: expect.stringContaining('CORS_ORIGINS'),
    });
    const fromSite = await upload(service).set('Sec-Fetch-Site', 'cross-site');
    expect(fromSite.status).toBe(403);
    const classify = await request(service.app.getHttpServer())
      .post('/')
      .set('Origin', 'null')
      .attach('myfile', jpeg, 'photo.jpg');
    expect(classify.status).toBe(403);
    expect((await request(service.app.getHttpServer()).get('/api/jobs')).body.total).toBe(before);
  });

  it('takes posts from its own page and from clients that are not browsers', async () => {
    const host = new URL(service.url).host;
    expect(
      (await upload(service).set('Origin', `http://${host}`).set('Sec-Fetch-Site', 'same-origin')).status,
    ).toBe(202);
    expect((await upload(service)).status).toBe(202);
  });

  it('with CORS_ORIGINS, lets those origins call the API with a key header and no others', async () => {
    const preflight = await request(corsService.app.getHttpServer())
      .options('/api/jobs')
      .set('Origin', trustedOrigin)
      .set('Access-Control-Request-Method', 'POST')
      .set('Access-Control-Request-Headers', 'x-api-key');
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe(trustedOrigin);
    expect(preflight.headers['access-control-allow-headers']).toMatch(/X-Api-Key/i);

    const trusted = await upload(corsService).set('Origin', trustedOrigin);
    expect(trusted.status).toBe(202);
    expect(trusted.headers['access-control-allow-origin']).toBe(trustedOrigin);
    expect((await upload(corsService).set('Origin', 'http://evil.example')).status).toBe(403);
  });
});

describe('upload rate limits (RATE_LIMIT_UPLOADS)', () => {
  const keyA = 'rate-limit-key-a-0123456789';
  const keyB = 'rate-limit-key-b-0123456789';
  let keyed: InProcessService;
  let open: InProcessService;
  let unlimited: InProcessService;
  let proxied: InProcessService;

  beforeAll(async () => {
    const uploadRateLimit = { limit: 2, windowMs: 600_000 };
    [keyed, open, unlimited, proxied] = await Promise.all([
      startInProcessService('rate-limit-keys', {
        ...NO_WORKERS,
        uploadRateLimit,
        keys: { api: [keyDigest(keyA), keyDigest(keyB)], admin: [] },
      }),
      startInProcessService('rate-limit-open', { ...NO_WORKERS, uploadRateLimit }),
      startInProcessService('rate-limit-off', NO_WORKERS),
      startInProcessService('rate-limit-proxied', { ...NO_WORKERS, uploadRateLimit, trustProxy: 'loopback' }),
    ]);
  });
  afterAll(() => Promise.all([keyed?.close(), open?.close(), unlimited?.close(), proxied?.close()]));

  const upload = (target: InProcessService, key?: string) => {
    const req = request(target.app.getHttpServer()).post('/api/jobs');
    return (key ? req.set('X-Api-Key', key) : req).attach('files', jpeg, 'photo.jpg');
  };

  it('turns a key away past its limit with 429 and Retry-After, and counts each key on its own', async () => {
    expect((await upload(keyed, keyA)).status).toBe(202);
    expect((await upload(keyed, keyA)).status).toBe(202);
    const refused = await upload(keyed, keyA);
    expect(refused.status).toBe(429);
    expect(refused.body).toEqual({
      error: 'rate_limited',
      message: expect.stringContaining('RATE_LIMIT_UPLOADS'),
    });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(JSON.stringify(refused.body)).not.toContain(keyA);
    // POST / is an upload too.
    expect(
      (
        await request(keyed.app.getHttpServer())
          .post('/')
          .set('X-Api-Key', keyA)
          .attach('myfile', jpeg, 'a.jpg')
      ).status,
    ).toBe(429);
    expect((await upload(keyed, keyB)).status).toBe(202);
    // Reading is not limited.
    expect((await request(keyed.app.getHttpServer()).get('/api/jobs').set('X-Api-Key', keyA)).status).toBe(
      200,
    );
  });

  it('counts by address when the service takes no keys, believing X-Forwarded-For only from TRUST_PROXY', async () => {
    // Not trusted by default: whatever a client claims, it is counted by its own address.
    expect((await upload(open).set('X-Forwarded-For', '203.0.113.1')).status).toBe(202);
    expect((await upload(open).set('X-Forwarded-For', '203.0.113.2')).status).toBe(202);
    expect((await upload(open).set('X-Forwarded-For', '203.0.113.3')).status).toBe(429);

    // Behind a trusted proxy (here on loopback), each client it names is counted on its own.
    const from = (client: string) => upload(proxied).set('X-Forwarded-For', client);
    expect((await from('203.0.113.1')).status).toBe(202);
    expect((await from('203.0.113.1')).status).toBe(202);
    expect((await from('203.0.113.1')).status).toBe(429);
    expect((await from('203.0.113.2')).status).toBe(202);
  });

  it('limits nothing by default', async () => {
    for (let i = 0; i < 5; i++) expect((await upload(unlimited)).status).toBe(202);
  });
});
