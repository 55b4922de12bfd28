import { Injectable } from '@nestjs/common';
import type { WorkerState, WorkerView } from '../api/api-schemas';
import type { WorkerContext } from '../../state-machines/worker.machine';
import { isoTime } from '../common/time';
import { Actor, ActorHost } from '../actors/actor-host.service';
import { WORKER } from '../actors/actor-kinds';

export type { WorkerState, WorkerView } from '../api/api-schemas';

interface WorkerRow {
  state: WorkerState;
  context: WorkerContext;
}

/**
 * The workers as the API shows them, read from the host, which keeps every worker (there are few,
 * and the autoscaler needs them all).
 */
@Injectable()
export class WorkersProjection {
  constructor(private readonly host: ActorHost) {}

  get(id: string): WorkerView | undefined {
    const actor = this.host.get(WORKER.streamId(id));
    return actor && toView(id, rowOf(actor));
  }

  /** Workers in launch order; by default only those not yet terminated or lost. */
  list({ includeEnded = false } = {}): WorkerView[] {
    return this.host
      .list(WORKER)
      .map((actor) => [actor.id, rowOf(actor)] as const)
      .filter(([, row]) => includeEnded || (row.state !== 'terminated' && row.state !== 'lost'))
      .map(([id, row]) => toView(id, row));
  }
}

const rowOf = (actor: Actor): WorkerRow => ({
  state: actor.snapshot.value as WorkerState,
  context: actor.snapshot.context as WorkerContext,
});

function toView(id: string, { state, context }: WorkerRow): WorkerView {
  return {
    id,
    state,
    currentJobId: context.jobsInHand[0],
    jobsInHand: context.jobsInHand,
    instanceId: context.instanceId,
    modelId: context.modelId,
    jobsDone: context.jobsDone,
    launchReason: context.launchReason,
    stopReason: context.stopReason,
    launchedAt: isoTime(context.launchedAt),
    startedAt: isoTime(context.startedAt),
    lastSeenAt: isoTime(context.lastSeenAt),
    endedAt: isoTime(context.endedAt),
  };
}
