import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InProcessService, startInProcessService } from './support/in-process-service';

interface Operation {
  parameters?: Array<{ name: string; in: string; schema: Record<string, unknown> }>;
  responses: Record<string, unknown>;
  security: unknown[];
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- read as the test walks it
  requestBody?: any;
  callbacks?: Record<string, Record<string, Record<string, Operation>>>;
}
type OpenApi = { openapi: string; paths: Record<string, Record<string, Operation>> };

/** The routes Express serves, as `METHOD /path/{param}`: what Nest registered. */
function registeredRoutes(service: InProcessService): string[] {
  const express = service.app.getHttpAdapter().getInstance() as {
    router: { stack: Array<{ route?: { path: string; methods: Record<string, boolean> } }> };
  };
  return express.router.stack.flatMap(({ route }) =>
    route
      ? Object.keys(route.methods).map(
          (method) => `${method.toUpperCase()} ${route.path.replace(/:(\w+)/g, '{$1}')}`,
        )
      : [],
  );
}

describe('the OpenAPI document (/api/openapi.json) and its docs page (/api/docs)', () => {
  let service: InProcessService;
  let document: OpenApi;

  beforeAll(async () => {
    service = await startInProcessService('openapi', { minWorkers: 0 });
    document = (await (await fetch(`${service.url}/api/openapi.json`)).json()) as OpenApi;
  });
  afterAll(async () => {
    await service?.close();
  });

  it('is a valid OpenAPI 3.1 document', async () => {
    expect(document.openapi).toBe('3.1.0');
    // In a process of its own: the validator's parser is an ES module, which jest's runtime cannot load.
    const dir = mkdtempSync(join(tmpdir(), 'openapi-'));
    try {
      const file = join(dir, 'openapi.json');
      writeFileSync(file, JSON.stringify(document));
      const validate = `require('@apidevtools/swagger-parser').validate(${JSON.stringify(file)})
        .then(() => console.log('valid'), (error) => { console.error(error.message); process.exitCode = 1; });`;
      const child = spawnSync(process.execPath, ['-e', validate], { encoding: 'utf8', timeout: 60_000 });
      expect(child.stderr).toBe('');
      expect(child.stdout.trim()).toBe('valid');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('describes every route Nest registers, and no other', () => {
    const documented = Object.entries(document.paths).flatMap(([path, operations]) =>
      Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect([...documented].sort()).toEqual([...new Set(registeredRoutes(service))].sort());
  });

  it("gives a query the limits its handler enforces: the handler's own schema", async () => {
    const limit = document.paths['/api/jobs'].get.parameters!.find((p) => p.name === 'limit')!;
    expect(limit.schema).toMatchObject({ type: 'integer', minimum: 1, maximum: 500, default: 50 });
    expect((await fetch(`${service.url}/api/jobs?limit=500`)).status).toBe(200);
    expect((await fetch(`${service.url}/api/jobs?limit=501`)).status).toBe(400);
  });

  it('names the refusals and the keys a route needs', () => {
    const job = document.paths['/api/jobs/{id}'].get;
    expect(Object.keys(job.responses).sort()).toEqual(['200', '400', '401', '403', '404']);
    expect(job.security).toEqual([{ bearer: [] }, { apiKeyHeader: [] }, { apiKeyQuery: [] }]);
    expect(document.paths['/health'].get.security).toEqual([]);
    expect(Object.keys(document.paths['/api/jobs'].post.responses)).toEqual(
      expect.arrayContaining(['202', '413', '415', '422', '429']),
    );
  });

  it('documents the webhook: the callbackUrl field, and the signed POST made back to it', () => {
    const upload = document.paths['/api/jobs'].post;
    const form = upload.requestBody.content['multipart/form-data'].schema;
    expect(form.properties.callbackUrl).toMatchObject({ type: 'string' });
    const callback = upload.callbacks!.jobEnded['{$request.body#/callbackUrl}'].post;
    expect(callback.requestBody.content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/Job',
    });
    expect(callback.parameters!.map((p) => p.name)).toEqual([
      'X-Signature',
      'X-Webhook-Id',
      'X-Webhook-Attempt',
    ]);
  });

  it('serves the docs page offline, with Swagger UI from node_modules', async () => {
    const page = await fetch(`${service.url}/api/docs`);
    expect(page.status).toBe(200);
    const html = await page.text();
    for (const [asset, type] of [
      ['swagger-ui-bundle.js', 'text/javascript'],
      ['swagger-ui.css', 'text/css'],
      ['docs.js', 'text/javascript'],
    ]) {
      expect(html).toContain(`/api/docs/${asset}`);
      const res = await fetch(`${service.url}/api/docs/${asset}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain(type);
    }
    expect((await fetch(`${service.url}/api/docs/other.js`)).status).toBe(404);
  });
});
