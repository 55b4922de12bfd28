import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ActorHost } from '../actors/actor-host.service';
import { ACTOR_KINDS, JOB, WEBHOOK } from '../actors/actor-kinds';
import { InMemoryEventStore } from '../adapters/memory/in-memory-event-store';
import { Checkpoint } from '../checkpoint/checkpoint';
import { ManualClock } from '../clock/manual-clock';
import { AppConfig, testConfig } from '../config/app-config';
import { Upcaster } from '../events/upcaster';
import { WebhookOutbox } from './webhook-outbox';

const clock = new ManualClock();
const config: AppConfig = testConfig({
  webhooks: {
    allowedHosts: ['hooks.example.com'],
    secret: 'a-secret-of-sixteen-or-more',
    maxAttempts: 4,
    retryBaseMs: 10,
    retryMaxMs: 100,
    timeoutMs: 1_000,
  },
});

interface Booted {
  host: ActorHost;
  outbox: WebhookOutbox;
  /** The webhooks whose delivery the host asked for, by job. */
  deliveries: string[];
}

/**
 * A control plane's host and outbox over `store` and the checkpoint in `file`, booted; with
 * `crashBeforeOutbox` the outbox never goes live, as in a process killed before it could create
 * the webhooks owed.
 */
async function boot(
  store: InMemoryEventStore,
  file = ':memory:',
  { crashBeforeOutbox = false } = {},
): Promise<Booted> {
  const host = new ActorHost(store, clock, new Upcaster(), new Checkpoint(file));
  const deliveries: string[] = [];
  for (const kind of ACTOR_KINDS) {
    const handlers = Object.fromEntries(
      Object.keys(kind.effects).map((effect) => [
        effect,
        (params: { jobId: string }) => void (effect === 'deliverWebhook' && deliveries.push(params.jobId)),
      ]),
    );
    host.handle(kind, handlers as Parameters<ActorHost['handle']>[1]);
  }
  const outbox = new WebhookOutbox(host, clock, config);
  await host.onModuleInit();
  host.onApplicationBootstrap();
  if (!crashBeforeOutbox) outbox.onApplicationBootstrap();
  return { host, outbox, deliveries };
}

/** A job that is uploaded and refused at once, so that it ends. */
async function endJob(host: ActorHost, jobId: string, callbackUrl?: string): Promise<void> {
  const input = { jobId, fileName: 'cat.jpg', contentType: 'image/jpeg', sizeBytes: 10, callbackUrl };
  await host.dispatch(JOB.streamId(jobId), { type: 'JobUploaded', ...input });
  await host.dispatch(JOB.streamId(jobId), { type: 'JobRejected', reason: 'not a cat' });
  await host.settle();
}

const requested = async (store: InMemoryEventStore, jobId: string) =>
  (await store.readStream(WEBHOOK.streamId(jobId))).filter(({ type }) => type === 'WebhookRequested');

describe('WebhookOutbox', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'webhook-outbox-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('creates the webhook of a job that ended with a callback URL, with its view and the retry settings', async () => {
    const store = new InMemoryEventStore(clock);
    const { host, outbox, deliveries } = await boot(store);
    await endJob(host, 'j1', 'https://hooks.example.com/jobs');
    await host.settle();

    const [created] = await requested(store, 'j1');
    expect(created.data).toMatchObject({
      jobId: 'j1',
      url: 'https://hooks.example.com/jobs',
      maxAttempts: 4,
      retryBaseMs: 10,
      retryMaxMs: 100,
    });
    expect(JSON.parse(created.data.body as string)).toMatchObject({
      id: 'j1',
      status: 'rejected',
      error: 'not a cat',
      callbackUrl: 'https://hooks.example.com/jobs',
    });
    expect(deliveries).toEqual(['j1']);
    expect(outbox.pending).toBe(0);
  });

  it('creates none for a job without a callback URL', async () => {
    const store = new InMemoryEventStore(clock);
    const { host, deliveries } = await boot(store);
    await endJob(host, 'j2');
    expect(await store.readStream(WEBHOOK.streamId('j2'))).toEqual([]);
    expect(deliveries).toEqual([]);
  });

  it('creates, at the next boot, a webhook owed when the process died: from the checkpoint, folding nothing', async () => {
    const store = new InMemoryEventStore(clock);
    const file = join(dir, 'checkpoint.db');
    const first = await boot(store, file, { crashBeforeOutbox: true });
    await endJob(first.host, 'j3', 'https://hooks.example.com/jobs');
    expect(first.outbox.pending).toBe(1);
    first.host.checkpoint.flush();
    first.host.checkpoint.close();
    expect(await requested(store, 'j3')).toEqual([]);

    const second = await boot(store, file);
    expect(second.host.replayStats.events).toBe(0);
    await second.host.settle();
    expect(await requested(store, 'j3')).toHaveLength(1);
    expect(second.deliveries).toEqual(['j3']);
    expect(second.outbox.pending).toBe(0);
  });

  it('creates no webhook twice: a boot that folds the whole log finds it created', async () => {
    const store = new InMemoryEventStore(clock);
    const first = await boot(store);
    await endJob(first.host, 'j4', 'https://hooks.example.com/jobs');
    await first.host.settle();

    const second = await boot(store);
    await second.host.settle();
    expect(second.outbox.pending).toBe(0);
    expect(await requested(store, 'j4')).toHaveLength(1);
  });
});
