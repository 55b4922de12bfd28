import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { keyDigest } from '../src/security/api-keys';
import { ControlPlaneProcess, freePort } from './support/control-plane-process';
import { InProcessService, startInProcessService } from './support/in-process-service';
import { datasetImages, REPO_ROOT } from './support/paths';
import { track } from './support/spawned';

const API_KEY = 'api-key-0123456789abcdef';
const ADMIN_KEY = 'admin-key-0123456789abcdef';

describe('API and admin keys', () => {
  let service: InProcessService;
  const jpeg = readFileSync(datasetImages('ilsvrc2012-val-sample')[0]);
  const http = () => request(service.app.getHttpServer());

  beforeAll(async () => {
    service = await startInProcessService('api-keys', {
      minWorkers: 0,
      maxWorkers: 0,
      keys: { api: [keyDigest(API_KEY)], admin: [keyDigest(ADMIN_KEY)] },
      resultTimeoutMs: 500,
    });
  });
  afterAll(() => service.close());

  it('refuses a protected route without a key: 401 with a JSON reason saying how to send one', async () => {
    for (const res of [
      await http().post('/api/jobs').attach('files', jpeg, 'a.jpg'),
      await http().get('/api/jobs'),
      await http().post('/').attach('myfile', jpeg, 'a.jpg'),
      await http().get('/metrics'),
    ]) {
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ error: 'missing_key', message: expect.stringContaining('Bearer') });
    }
  });

  it('refuses a wrong key with 401, never echoing it', async () => {
    const res = await http().get('/api/jobs').set('Authorization', 'Bearer not-a-key-of-this-service');
    expect(res.status).toBe(401);
    expect(res.body.error).toBe('invalid_key');
    expect(res.text).not.toContain('not-a-key-of-this-service');
  });

  it('takes an API key as a bearer token or in X-Api-Key, for uploads, the REST API and POST /', async () => {
    await http()
      .post('/api/jobs')
      .set('Authorization', `Bearer ${API_KEY}`)
      .attach('files', jpeg, 'a.jpg')
      .expect(202);
    await http().get('/api/jobs').set('X-Api-Key', API_KEY).expect(200);
    // Past the guard, the course contract waits for a label no worker will bring: 504, not 401.
    await http().post('/').set('X-Api-Key', API_KEY).attach('myfile', jpeg, 'a.jpg').expect(504);
  });

  it('answers 403 to an API key on an admin route, and lets an admin key through everywhere', async () => {
    for (const path of ['/metrics', '/api/fleet', '/api/controller', '/debug/api/statecharts']) {
      const res = await http().get(path).set('X-Api-Key', API_KEY);
      expect([path, res.status, res.body.error]).toEqual([path, 403, 'wrong_role']);
      expect([path, (await http().get(path).set('X-Api-Key', ADMIN_KEY)).status]).toEqual([path, 200]);
    }
    await http().get('/api/jobs').set('Authorization', `Bearer ${ADMIN_KEY}`).expect(200);
    // EventSource sends no header: the key may come as ?key=.
    await http().get(`/debug/api/statecharts?key=${ADMIN_KEY}`).expect(200);
    await http().get(`/debug/api/statecharts?key=${API_KEY}`).expect(403);
  });

  it('keeps the pages, their scripts and the health checks public: they hold no data', async () => {
    await http().get('/').expect(200);
    await http().get('/app.js').expect(200);
    await http().get('/api-key.js').expect(200);
    await http().get('/debug').expect(200);
    await http().get('/debug/debug.js').expect(200);
    await http().get('/health/live').expect(200);
  });
});

describe('protected mode', () => {
  let dataDir: string;
  beforeEach(() => (dataDir = mkdtempSync(join(tmpdir(), 'protected-'))));
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('refuses to start on a non-loopback address without keys, saying how to set them', async () => {
    const child = track(
      spawn(process.execPath, [join(REPO_ROOT, 'dist', 'src', 'main.js')], {
        cwd: REPO_ROOT,
        env: { ...process.env, DATA_DIR: dataDir, PORT: String(await freePort()), HOST: '0.0.0.0' },
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise((resolve) => child.once('close', resolve));
    expect(code).toBe(1);
    expect(output).toMatch(/HOST.*set API_KEYS.*ALLOW_ANONYMOUS=true/s);
  });

  it('starts on every address when told to be open knowingly (ALLOW_ANONYMOUS=true)', async () => {
    const plane = new ControlPlaneProcess(dataDir, await freePort(), {
      HOST: '0.0.0.0',
      ALLOW_ANONYMOUS: 'true',
      MIN_WORKERS: '0',
    });
    await plane.start();
    expect((await fetch(`${plane.url}/api/jobs`)).status).toBe(200);
    expect(await plane.stop('SIGTERM')).toBe(0);
  });
});
