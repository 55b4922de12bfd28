import { Controller, Get, HttpStatus, Inject, Res } from '@nestjs/common';
import type { Response } from 'express';
import type { Health, Live } from '../api/api-schemas';
import { ActorHost } from '../actors/actor-host.service';
import { WORKER } from '../actors/actor-kinds';
import { REQUEST_QUEUE } from '../pipeline/queue-tokens';
import { EventStore } from '../ports/event-store.port';
import { Leadership } from '../ports/leadership.port';
import { ObjectStore } from '../ports/object-store.port';
import { Queue } from '../ports/queue.port';
import { Access } from '../security/access';

type Check = { ok: boolean; detail: string };

/** Liveness and readiness, for load balancers and orchestrators. */
@Access('public')
@Controller('health')
export class HealthController {
  constructor(
    private readonly host: ActorHost,
    private readonly events: EventStore,
    private readonly objects: ObjectStore,
    @Inject(REQUEST_QUEUE) private readonly requests: Queue,
    private readonly leadership: Leadership,
  ) {}

  /** Liveness: the process answers. */
  @Get('live')
  live(): Live {
    return { status: 'ok' };
  }

  /**
   * Readiness: the event store, the request queue and the object store answer, and at least one
   * worker has loaded the model (a running or idle worker). 200 when all hold, else 503; each
   * check says what it saw.
   */
  @Get()
  async ready(@Res({ passthrough: true }) res: Response): Promise<Health> {
    const checks = {
      eventStore: await probe(async () => `at position ${await this.events.lastPosition()}`),
      requestQueue: await probe(async () => {
        const counts = await this.requests.approximateCounts();
        return `${counts.visible} waiting, ${counts.inFlight} in flight`;
      }),
      objectStore: await probe(
        async () =>
          `answers (${(await this.objects.head('health/probe')) ? 'probe present' : 'no probe object'})`,
      ),
      modelLoaded: this.modelLoaded(),
    };
    const ok = Object.values(checks).every((check) => check.ok);
    res.status(ok ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE);
    return {
      status: ok ? 'ok' : 'unavailable',
      role: this.leadership.leading ? 'leader' : 'follower',
      checks,
    };
  }

  private modelLoaded(): Check {
    const ready = this.host
      .list(WORKER)
      .filter((w) => ['running', 'idle'].includes(w.snapshot.value as string));
    return ready.length > 0
      ? { ok: true, detail: `${ready.length} worker(s) with the model loaded` }
      : { ok: false, detail: 'no worker has loaded the model yet' };
  }
}

async function probe(check: () => Promise<string>): Promise<Check> {
  try {
    return { ok: true, detail: await check() };
  } catch (error) {
    return { ok: false, detail: (error as Error).message };
  }
}
