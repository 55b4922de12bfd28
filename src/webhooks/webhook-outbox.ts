import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnModuleDestroy,
  Optional,
} from '@nestjs/common';
import Database from 'better-sqlite3';
import type { JobContext } from '../../state-machines/job.machine';
import type { WebhookInput } from '../../state-machines/webhook.machine';
import { ActorExistsError } from '../actors/actor-host.errors';
import { ActorHost } from '../actors/actor-host.service';
import { JOB, WEBHOOK } from '../actors/actor-kinds';
import { CheckpointPart } from '../checkpoint/checkpoint';
import { errorMessage } from '../common/errors';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import type { JobStatus } from '../projections/jobs.projection';
import { jobView } from '../projections/jobs.projection';
import { Clock, TimerHandle } from '../ports/clock.port';
import { Leadership, SoleLeadership } from '../ports/leadership.port';

/** A webhook owed: its job ended, and its creation is not in the log yet. */
interface OwedWebhook {
  url: string;
  body: string;
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS webhooks_owed (
    job_id TEXT PRIMARY KEY,
    url    TEXT NOT NULL,
    body   TEXT NOT NULL
  );
`;

/** The wait before trying again to record a webhook whose creation failed; it doubles up to a minute. */
const FIRST_RETRY_MS = 1_000;
const MAX_RETRY_MS = 60_000;

/**
 * Turns the end of a job whose client gave a callback URL into that job's webhook actor
 * (`WebhookRequested`), whose machine then delivers it. The webhooks owed — jobs ended, webhooks
 * not yet created — are folded from the log like any read model and kept in a table of the
 * host's checkpoint, so a crash between a job's last event and its webhook's first loses
 * nothing: the boot finds the webhook still owed and creates it. Creating one twice is refused
 * by the log (the webhook's stream exists), so none is sent twice for one job.
 */
@Injectable()
export class WebhookOutbox implements CheckpointPart, OnApplicationBootstrap, OnModuleDestroy {
  readonly schema = SCHEMA;
  private readonly logger = new Logger(WebhookOutbox.name);
  private readonly owed = new Map<string, OwedWebhook>();
  /** Changes since the last write: an owed webhook, or null once it is created. */
  private readonly unwritten = new Map<string, OwedWebhook | null>();
  private readonly retrying = new Map<string, TimerHandle>();
  private statements?: ReturnType<typeof prepare>;
  /** Whether this control plane creates the webhooks: it leads. */
  private live = false;
  private stopped = false;

  constructor(
    private readonly host: ActorHost,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    /** Default: this control plane leads from the start. */
    @Optional() private readonly leadership: Leadership = new SoleLeadership(),
  ) {
    host.checkpoint.add(this);
    host.changes$.subscribe(({ actor, event }) => {
      if (actor.kind === JOB && actor.snapshot.status === 'done') {
        const context = actor.snapshot.context as JobContext;
        if (context.callbackUrl === undefined) return;
        const view = jobView(actor.id, { status: actor.snapshot.value as JobStatus, context });
        this.set(actor.id, { url: context.callbackUrl, body: JSON.stringify(view) });
        if (this.live) this.create(actor.id);
      } else if (actor.kind === WEBHOOK && event.type === WEBHOOK.creationEvent) {
        this.set(actor.id, null);
      }
    });
  }

  restore(db: Database.Database): void {
    this.statements = prepare(db);
    for (const { job_id, url, body } of this.statements.all.all()) this.owed.set(job_id, { url, body });
  }

  write(): void {
    if (!this.statements) return;
    for (const [jobId, owed] of this.unwritten) {
      if (owed) this.statements.insert.run(jobId, owed.url, owed.body);
      else this.statements.delete.run(jobId);
    }
    this.unwritten.clear();
  }

  /** Once this control plane leads (after the boot's replay): creates every webhook still owed. */
  onApplicationBootstrap(): Promise<void> {
    return this.leadership.whenLeading(() => {
      if (this.stopped) return;
      this.live = true;
      if (this.owed.size > 0) this.logger.log({ msg: 'creating the webhooks owed', count: this.owed.size });
      for (const jobId of this.owed.keys()) this.create(jobId);
    });
  }

  onModuleDestroy(): void {
    this.stopped = true;
    this.live = false;
    this.retrying.forEach((handle) => handle.cancel());
    this.retrying.clear();
  }

  /** Jobs ended whose webhooks are not created yet. */
  get pending(): number {
    return this.owed.size;
  }

  private set(jobId: string, owed: OwedWebhook | null): void {
    if (owed) this.owed.set(jobId, owed);
    else this.owed.delete(jobId);
    this.unwritten.set(jobId, owed);
    this.host.checkpoint.schedule();
  }

  private create(jobId: string, retryMs = FIRST_RETRY_MS): void {
    const owed = this.owed.get(jobId);
    if (!owed || this.retrying.has(jobId)) return;
    const { maxAttempts, retryBaseMs, retryMaxMs } = this.config.webhooks;
    const input: Omit<WebhookInput, 'at'> = {
      jobId,
      url: owed.url,
      body: owed.body,
      maxAttempts,
      retryBaseMs,
      retryMaxMs,
    };
    this.host.dispatch(WEBHOOK.streamId(jobId), { type: WEBHOOK.creationEvent, ...input }).catch((error) => {
      if (error instanceof ActorExistsError) return this.set(jobId, null);
      this.logger.error(`Could not record the webhook of job ${jobId}, trying again: ${errorMessage(error)}`);
      if (!this.live) return;
      this.retrying.set(
        jobId,
        this.clock.setTimer(retryMs, () => {
          this.retrying.delete(jobId);
          this.create(jobId, Math.min(MAX_RETRY_MS, retryMs * 2));
        }),
      );
    });
  }
}

function prepare(db: Database.Database) {
  return {
    all: db.prepare<[], { job_id: string; url: string; body: string }>(
      'SELECT job_id, url, body FROM webhooks_owed',
    ),
    insert: db.prepare('INSERT OR REPLACE INTO webhooks_owed (job_id, url, body) VALUES (?, ?, ?)'),
    delete: db.prepare('DELETE FROM webhooks_owed WHERE job_id = ?'),
  };
}
