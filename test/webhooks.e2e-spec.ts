import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { readLocalEventLog } from '../src/adapters/local/local-adapters';
import { WebhookConfig } from '../src/config/webhook-config';
import { verifyWebhook } from '../src/webhooks/webhook-signature';
import { ControlPlaneProcess, freePort, waitFor } from './support/control-plane-process';
import { InProcessService, startInProcessService } from './support/in-process-service';
import { datasetImages, REPO_ROOT } from './support/paths';
import { track } from './support/spawned';
import { WebhookReceiver } from './support/webhook-receiver';

const SECRET = 'webhook-test-secret-0123456789';
const [image] = datasetImages('sample-photos');

/** `POST /api/jobs` with `image`, the text fields and the headers given; resolves with the answer. */
async function submit(
  url: string,
  fields: Array<[string, string]>,
  headers: Record<string, string> = {},
): Promise<Response> {
  const form = new FormData();
  form.append('files', new Blob([readFileSync(image)], { type: 'image/jpeg' }), basename(image));
  for (const [name, value] of fields) form.append(name, value);
  return fetch(`${url}/api/jobs`, { method: 'POST', body: form, headers });
}

async function submitWithCallback(url: string, callbackUrl: string): Promise<string> {
  const res = await submit(url, [['callbackUrl', callbackUrl]]);
  expect(res.status).toBe(202);
  return ((await res.json()) as { jobs: { id: string }[] }).jobs[0].id;
}

interface EventView {
  stream: string;
  type: string;
  position: number;
  data: Record<string, unknown>;
}

const nowS = () => Math.floor(Date.now() / 1000);

/** GETs `path` and reads its JSON. */
async function getJson<T>(url: string, path: string): Promise<T> {
  return (await (await fetch(`${url}${path}`)).json()) as T;
}

describe('webhooks: a job with a callbackUrl is POSTed to it when it ends, signed, retried with backoff', () => {
  let receiver: WebhookReceiver;
  let service: InProcessService;
  /** The job of the first test, whose webhook was delivered. */
  let deliveredJobId: string;
  /** Where the README's receiver listens. */
  let readmePort: number;

  beforeAll(async () => {
    // The first two calls fail, as a receiver being deployed would.
    receiver = await WebhookReceiver.start((n) => (n < 2 ? 500 : 204));
    readmePort = await freePort();
    const webhooks: WebhookConfig = {
      allowedHosts: [receiver.host, `127.0.0.1:${readmePort}`],
      secret: SECRET,
      maxAttempts: 5,
      retryBaseMs: 50,
      retryMaxMs: 1_000,
      timeoutMs: 10_000,
    };
    service = await startInProcessService('webhooks', { webhooks });
  }, 60_000);

  afterAll(async () => {
    await service.close();
    await receiver.close();
  });

  it("delivers the job's view on the third attempt, each signed, the same bytes each time", async () => {
    const callbackUrl = `http://${receiver.host}/hooks/jobs?source=test`;
    const jobId = await submitWithCallback(service.url, callbackUrl);
    deliveredJobId = jobId;
    // The receiver answers before the service records the delivery: wait for the record.
    await waitFor('the delivery to be recorded', async () => {
      const events = await getJson<EventView[]>(service.url, `/api/jobs/${jobId}/events`);
      return events.some(({ type }) => type === 'WebhookDelivered') ? true : undefined;
    });

    expect(receiver.received.map(({ status }) => status)).toEqual([500, 500, 204]);
    expect(receiver.received.map(({ headers }) => headers['x-webhook-attempt'])).toEqual(['1', '2', '3']);
    const [first] = receiver.received;
    for (const { headers, body } of receiver.received) {
      expect(body).toBe(first.body);
      expect(headers['content-type']).toBe('application/json');
      expect(headers['x-webhook-id']).toBe(jobId);
      const signature = headers['x-signature'] as string;
      expect(verifyWebhook(SECRET, body, signature, nowS())).toBe(true);
      expect(verifyWebhook('another-secret-0123456789', body, signature, nowS())).toBe(false);
      expect(verifyWebhook(SECRET, body.replace('reported', 'failed'), signature, nowS())).toBe(false);
    }
    // The job's view as the API shows it, which adds how its webhook was delivered.
    const { webhook, ...job } = await getJson<Record<string, unknown>>(service.url, `/api/jobs/${jobId}`);
    expect(JSON.parse(first.body)).toEqual(job);
    expect(job).toMatchObject({ id: jobId, status: 'reported', callbackUrl, topLabel: expect.any(String) });
    expect(webhook).toEqual({
      status: 'delivered',
      attempts: 3,
      httpStatus: 204,
      deliveredAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
  });

  it("lists each attempt among the job's events, after the job's own", async () => {
    const events = await getJson<EventView[]>(service.url, `/api/jobs/${deliveredJobId}/events`);
    const webhook = events.filter((event) => event.stream === 'webhook');
    expect(webhook.map(({ type }) => type)).toEqual([
      'WebhookRequested',
      'WebhookAttemptFailed',
      'WebhookRetryDue',
      'WebhookAttemptFailed',
      'WebhookRetryDue',
      'WebhookDelivered',
    ]);
    expect(webhook[1].data).toMatchObject({ attempt: 1, reason: 'answered HTTP 500', httpStatus: 500 });
    expect(webhook[5].data).toMatchObject({ attempt: 3, httpStatus: 204 });
    const reported = events.find((event) => event.type === 'JobReported')!;
    expect(webhook[0].position).toBeGreaterThan(reported.position);
    expect(events.map(({ position }) => position)).toEqual(
      [...events.map(({ position }) => position)].sort((a, b) => a - b),
    );
  });

  it("is taken by the README's receiver, which refuses a forged one", async () => {
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
    const code = /A receiver, checking the signature and its age:\n\n```js\n([\s\S]*?)```/.exec(readme)![1];
    const dir = mkdtempSync(join(tmpdir(), 'readme-receiver-'));
    const file = join(dir, 'receiver.js');
    writeFileSync(file, code.replace('server.listen(4000);', `server.listen(${readmePort}, '127.0.0.1');`));
    const child = track(spawn(process.execPath, [file], { env: { ...process.env, WEBHOOK_SECRET: SECRET } }));
    let printed = '';
    child.stdout!.on('data', (chunk: Buffer) => (printed += chunk.toString()));
    try {
      const receiverUrl = `http://127.0.0.1:${readmePort}/jobs`;
      // It answers anything unsigned with 401: once it does, it listens.
      await waitFor("the README's receiver to listen", async () =>
        (await fetch(receiverUrl, { method: 'POST', body: '{}' })).status === 401 ? true : undefined,
      );
      const jobId = await submitWithCallback(service.url, receiverUrl);
      await waitFor("the README's receiver to print the job", async () =>
        printed.includes(jobId) && printed.includes('reported') ? true : undefined,
      );
      const forged = await fetch(receiverUrl, {
        method: 'POST',
        body: JSON.stringify({ id: jobId, status: 'failed' }),
        headers: { 'X-Signature': `t=${nowS()},v1=${'0'.repeat(64)}` },
      });
      expect(forged.status).toBe(401);
      expect((await fetch(receiverUrl, { method: 'POST', body: '{}' })).status).toBe(401);
    } finally {
      child.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each([
    ['a host not on the allow-list', 'http://127.0.0.2:9/hook', 'callback_host_not_allowed'],
    ['a scheme other than http(s)', `ftp://${'127.0.0.1'}/hook`, 'invalid_callback_url'],
    ['credentials in the URL', 'http://user:pass@127.0.0.1/hook', 'invalid_callback_url'],
    ['no absolute URL', '/hook', 'invalid_callback_url'],
  ])('refuses %s with 400 and a reason, accepting no job', async (_, callbackUrl, error) => {
    const total = async () => (await getJson<{ total: number }>(service.url, '/api/jobs')).total;
    const before = await total();
    const res = await submit(service.url, [['callbackUrl', callbackUrl]]);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error, message: expect.any(String) });
    expect(await total()).toBe(before);
  });

  it('takes a retry with the same Idempotency-Key and callbackUrl, and refuses one with another callbackUrl', async () => {
    const withKey = (callbackUrl: string) =>
      submit(service.url, [['callbackUrl', callbackUrl]], { 'Idempotency-Key': 'webhook-retry-1' });
    const first = await withKey(`http://${receiver.host}/a`);
    expect(first.status).toBe(202);
    const retried = await withKey(`http://${receiver.host}/a`);
    expect(retried.status).toBe(202);
    expect(retried.headers.get('idempotent-replayed')).toBe('true');
    const jobsOf = async (res: Response) => ((await res.json()) as { jobs: unknown[] }).jobs;
    expect(await jobsOf(retried)).toEqual(await jobsOf(first));
    expect((await withKey(`http://${receiver.host}/b`)).status).toBe(422);
  });

  it('refuses two callbackUrl fields with 400', async () => {
    const res = await submit(service.url, [
      ['callbackUrl', `http://${receiver.host}/a`],
      ['callbackUrl', `http://${receiver.host}/b`],
    ]);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      error: 'invalid_request',
      message: expect.stringMatching(/callbackUrl/),
    });
  });
});

describe('webhooks across crashes: none lost, none created twice', () => {
  let dataDir: string;
  let receiver: WebhookReceiver;
  beforeEach(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'webhook-crash-'));
    receiver = await WebhookReceiver.start((n) => (n === 0 ? 503 : 200));
  });
  afterEach(async () => {
    await receiver.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /**
   * Runs the control plane until it kills itself after `crashAfter`, driven by `drive` once it
   * answers (it may crash before it answers).
   */
  async function runUntilCrash(
    port: number,
    env: Record<string, string>,
    crashAfter: string,
    drive = async (): Promise<void> => undefined,
  ): Promise<void> {
    const crashing = new ControlPlaneProcess(dataDir, port, { ...env, CRASH_AFTER_EVENT: crashAfter });
    if (await crashing.startOrExit()) await drive();
    expect(await crashing.exit()).toBe('SIGKILL');
  }

  it('killed between the job’s end and its webhook, then during the backoff: delivered once after restarts', async () => {
    const port = await freePort();
    const env = {
      WEBHOOK_ALLOWED_HOSTS: receiver.host,
      WEBHOOK_SECRET: SECRET,
      WEBHOOK_RETRY_BASE_MS: '100',
    };
    const callbackUrl = `http://${receiver.host}/hook`;
    const url = `http://127.0.0.1:${port}`;

    // The crash may cut the upload's answer short (fetch's TypeError): the job is read from the log.
    await runUntilCrash(port, env, 'JobReported', async () => {
      await submitWithCallback(url, callbackUrl).catch((error: unknown) => {
        if (!(error instanceof TypeError)) throw error;
      });
    });
    const uploaded = (await readLocalEventLog(dataDir)).filter(({ type }) => type === 'JobUploaded');
    expect(uploaded).toHaveLength(1);
    const jobId = uploaded[0].data.jobId as string;
    const types = async () => (await readLocalEventLog(dataDir)).map(({ type }) => type);
    expect(await types()).toContain('JobReported');
    expect(await types()).not.toContain('WebhookRequested');

    // The restart creates the webhook; its first attempt is refused, and the process dies then.
    await runUntilCrash(port, env, 'WebhookAttemptFailed');
    expect(receiver.received).toHaveLength(1);

    const last = new ControlPlaneProcess(dataDir, port, env);
    await last.start();
    await waitFor('the delivery to be recorded', async () =>
      (await readLocalEventLog(dataDir)).some(({ type }) => type === 'WebhookDelivered') ? true : undefined,
    );
    expect(await last.stop('SIGTERM')).toBe(0);

    expect(receiver.received.map(({ status }) => status)).toEqual([503, 200]);
    expect(receiver.received.map(({ headers }) => headers['x-webhook-attempt'])).toEqual(['1', '2']);
    expect(receiver.received[1].body).toBe(receiver.received[0].body);
    expect(JSON.parse(receiver.received[1].body)).toMatchObject({ id: jobId, status: 'reported' });
    const webhookEvents = (await readLocalEventLog(dataDir))
      .filter(({ streamId }) => streamId === `webhook-${jobId}`)
      .map(({ type }) => type);
    expect(webhookEvents).toEqual([
      'WebhookRequested',
      'WebhookAttemptFailed',
      'WebhookRetryDue',
      'WebhookDelivered',
    ]);
  }, 120_000);
});
