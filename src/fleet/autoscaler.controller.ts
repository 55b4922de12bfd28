import { Controller, Get, Query } from '@nestjs/common';
import { z } from 'zod';
import type { ControllerStatus, DecisionView } from '../api/api-schemas';
import type { ControllerContext } from '../../state-machines/controller.machine';
import type { ScalingDecision } from '../../state-machines/scaling-policy';
import { ActorHost } from '../actors/actor-host.service';
import { isoTime } from '../common/time';
import { EventStore, StoredEvent } from '../ports/event-store.port';
import { parseRequest } from '../common/invalid-request.error';
import { AutoscalerService } from './autoscaler.service';
import { CONTROLLER_STREAM } from '../actors/actor-kinds';
import { Access } from '../security/access';

export const decisionsQuery = z.object({ limit: z.coerce.number().int().min(1).max(1000).default(50) });

/** The outcome of each scaling action, by the position of its decision. */
function outcomes(events: StoredEvent[]): Map<number, Pick<DecisionView, 'outcome' | 'failure'>> {
  const byDecision = new Map<number, Pick<DecisionView, 'outcome' | 'failure'>>();
  let open: number | undefined;
  for (const e of events) {
    if (e.type === 'ScalingDecided' && (e.data.decision as ScalingDecision).action !== 'hold') {
      open = e.position;
      byDecision.set(open, { outcome: 'in progress' });
    } else if (open !== undefined && e.type === 'ScalingActionCompleted') {
      byDecision.set(open, { outcome: 'completed' });
      open = undefined;
    } else if (open !== undefined && e.type === 'EffectFailed') {
      byDecision.set(open, {
        outcome: 'failed',
        failure: `${e.data.effect as string}: ${e.data.reason as string}`,
      });
      open = undefined;
    }
  }
  return byDecision;
}

/** The autoscaler: its state and the decisions it recorded, with their inputs and reasons. */
@Access('admin')
@Controller('api/controller')
export class AutoscalerController {
  constructor(
    private readonly host: ActorHost,
    private readonly store: EventStore,
    private readonly autoscaler: AutoscalerService,
  ) {}

  @Get()
  status(): ControllerStatus {
    const actor = this.host.get(CONTROLLER_STREAM);
    const context = actor?.snapshot.context as ControllerContext | undefined;
    return {
      state: actor?.snapshot.value ?? 'not started',
      settings: this.autoscaler.loop.settings,
      cooldownMs: context?.cooldownMs,
      measuredServiceTimeMs: this.autoscaler.loop.measuredServiceTimeMs,
      decisions: context?.decisions,
      failures: context?.failures ?? 0,
      lastFailure: context?.lastFailure && { ...context.lastFailure, at: isoTime(context.lastFailure.at) },
    };
  }

  /** The most recent decisions, newest first (`?limit=50`, 1–1000). */
  @Get('decisions')
  async decisions(@Query() query: unknown): Promise<{ decisions: DecisionView[] }> {
    const { limit } = parseRequest(decisionsQuery, query);
    const events = await this.store.readStream(CONTROLLER_STREAM);
    const outcomeOf = outcomes(events);
    const decisions = events
      .filter((e) => e.type === 'ScalingDecided')
      .slice(-limit)
      .reverse()
      .map((e) => {
        const { action, desired, capacity, launch, terminate, reason, inputs, derived, policy } = e.data
          .decision as ScalingDecision;
        return {
          at: isoTime(e.data.at as number),
          position: e.position,
          action,
          desired,
          capacity,
          launch,
          terminate,
          reason,
          inputs,
          derived,
          policy,
          ...outcomeOf.get(e.position),
        };
      });
    return { decisions };
  }
}
