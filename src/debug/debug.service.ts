import { Injectable } from '@nestjs/common';
import { asyncScheduler, defer, map, Observable, startWith, Subject, throttleTime } from 'rxjs';
import type { AnyMachineSnapshot } from 'xstate';
import { Effect } from '../../state-machines/fold';
import { ActorHost } from '../actors/actor-host.service';
import {
  ACTOR_KINDS,
  ActorKind,
  CONTROLLER,
  JOB,
  kindOfStream,
  WEBHOOK,
  WORKER,
} from '../actors/actor-kinds';
import { isoTime } from '../common/time';
import { Upcaster } from '../events/upcaster';
import { Clock } from '../ports/clock.port';
import { EventStore, StoredEvent } from '../ports/event-store.port';
import { JobsProjection, JobStatus } from '../projections/jobs.projection';
import { WorkersProjection, WorkerView } from '../projections/workers.projection';
import { UnknownStreamError } from './debug.errors';
import { CensusTotals, FleetHistory, FleetPoint } from './fleet-history';
import { FleetHistoryCheckpoint } from './fleet-history-checkpoint';
import { pathOf, replayTo, ReplayStep } from './replay';
import { Counts, StateCensus } from './state-census';
import { activeStateIds, describeMachine, Statechart, stateIdsOf, withAncestors } from './statechart';
import { toMermaid } from './statechart-mermaid';

type KindName = ActorKind['name'];

/** One machine's statechart with the number of live actors in each state. */
export interface StatechartView {
  kind: KindName;
  machineId: string;
  /** Every state id, parents before children. */
  states: string[];
  counts: Counts;
  /** mermaid `stateDiagram-v2` text, generated from the machine, counts under each state. */
  mermaid: string;
}

/** A worker with how long it has been up (from its start to its end, or to now). */
export interface FleetWorkerView extends WorkerView {
  uptimeMs?: number;
}

/** An actor to pick in the inspector. */
export interface ActorSummary {
  id: string;
  streamId: string;
  states: string[];
}

/** A stream replayed to event k: its events, the state after each up to k, and the chart lit up. */
export interface InspectionView {
  streamId: string;
  kind: KindName;
  id: string;
  /** Events in the stream. */
  length: number;
  k: number;
  events: Array<{
    index: number;
    type: string;
    at?: string;
    recordedAt: string;
    position: number;
    data: unknown;
  }>;
  /** The state after each event 1 … k. */
  steps: ReplayStep[];
  /** The state after event k. */
  state: { value: unknown; states: string[]; status: string; context: unknown; effects: Effect[] };
  /** States passed through up to k, in the order first entered. */
  path: string[];
  /** The machine's chart with the path (class `visited`) and the state after k (class `current`). */
  mermaid: string;
}

/** At most this often, the live census goes out to the page. */
const CENSUS_THROTTLE_MS = 250;
/** Ended workers shown beside the live ones. */
const ENDED_WORKERS_SHOWN = 20;

/**
 * The state-machine visualizer's read side: statecharts generated from the machine definitions,
 * live counts per state and the backlog/fleet history (both kept from every folded event, boot
 * replay included), and replays of one stream up to any event with the host's own fold.
 */
@Injectable()
export class DebugService {
  private readonly charts = new Map<KindName, Statechart>(
    ACTOR_KINDS.map((kind) => [kind.name, describeMachine(kind.machine)]),
  );
  private readonly census = new StateCensus();
  private readonly history = new FleetHistory();
  private readonly liveChanges = new Subject<void>();

  constructor(
    private readonly host: ActorHost,
    private readonly store: EventStore,
    private readonly upcaster: Upcaster,
    private readonly workers: WorkersProjection,
    private readonly clock: Clock,
    private readonly jobs: JobsProjection,
  ) {
    // Subscribed after the jobs read model (which this service needs), so its counts are current.
    host.changes$.subscribe(({ actor, event, replayed }) => {
      // A finished webhook leaves memory, and the census: its chart counts those under way.
      const gone = actor.kind.leavesMemoryWhenDone && actor.snapshot.status === 'done';
      if (actor.kind !== JOB)
        this.census.record(actor.kind.name, actor.streamId, gone ? [] : activeStateIds(actor.snapshot.value));
      if (actor.kind === JOB || actor.kind === WORKER)
        this.history.record(event.data.at as number, this.totals);
      if (!replayed) this.liveChanges.next();
    });
    host.checkpoint.add(new FleetHistoryCheckpoint(this.history, () => this.countRestoredActors()));
  }

  /** Jobs are counted by the jobs read model; workers, the controller and webhooks by the census. */
  private readonly totals: CensusTotals = {
    total: (kind, states) =>
      kind === JOB.name
        ? states.reduce((sum, state) => sum + this.jobs.count(state as JobStatus), 0)
        : this.census.total(kind, states),
  };

  private countRestoredActors(): void {
    for (const kind of [WORKER, CONTROLLER, WEBHOOK])
      for (const actor of this.host.list(kind))
        this.census.record(kind.name, actor.streamId, activeStateIds(actor.snapshot.value));
  }

  private countsOf(kind: KindName): Counts {
    if (kind !== JOB.name) return this.census.counts(kind);
    return Object.fromEntries(Object.entries(this.jobs.countByStatus()).filter(([, n]) => n > 0));
  }

  /** Each machine's chart with the current counts. */
  statecharts(): StatechartView[] {
    return ACTOR_KINDS.map(({ name }) => {
      const chart = this.charts.get(name)!;
      const counts = this.countsOf(name);
      return {
        kind: name,
        machineId: chart.machineId,
        states: stateIdsOf(chart),
        counts,
        mermaid: toMermaid(chart, { counts }),
      };
    });
  }

  /** The charts now, then again after live changes (at most every 250 ms). */
  statecharts$(): Observable<StatechartView[]> {
    return defer(() =>
      this.liveChanges.pipe(
        throttleTime(CENSUS_THROTTLE_MS, asyncScheduler, { leading: true, trailing: true }),
        map(() => this.statecharts()),
        startWith(this.statecharts()),
      ),
    );
  }

  /** Live workers and the most recently ended ones, with their uptime. */
  fleet(): { now: string; workers: FleetWorkerView[] } {
    const now = this.clock.now();
    const all = this.workers.list({ includeEnded: true });
    const isEnded = (w: WorkerView) => w.state === 'terminated' || w.state === 'lost';
    const endedShown = new Set(all.filter(isEnded).slice(-ENDED_WORKERS_SHOWN));
    const shown = all.filter((w) => !isEnded(w) || endedShown.has(w));
    return {
      now: isoTime(now),
      workers: shown.map((worker) => {
        const started = worker.startedAt === undefined ? undefined : Date.parse(worker.startedAt);
        const until = worker.endedAt === undefined ? now : Date.parse(worker.endedAt);
        return { ...worker, uptimeMs: started === undefined ? undefined : Math.max(0, until - started) };
      }),
    };
  }

  /** Backlog and fleet size over time, derived from the log; `now` (epoch ms) closes the last step. */
  series(): { source: 'log'; now: number; points: FleetPoint[] } {
    return { source: 'log', now: this.clock.now(), points: this.history.points() };
  }

  /** The newest `limit` actors of each kind, newest first. */
  recentActors(limit: number): Record<KindName, ActorSummary[]> {
    const recent = (kind: ActorKind): ActorSummary[] =>
      kind === JOB
        ? this.jobs
            .newest(limit)
            .map(({ id, status }) => ({ id, streamId: JOB.streamId(id), states: [status] }))
        : this.host
            .list(kind)
            .slice(-limit)
            .reverse()
            .map((actor) => ({
              id: actor.id,
              streamId: actor.streamId,
              states: activeStateIds(actor.snapshot.value),
            }));
    return Object.fromEntries(ACTOR_KINDS.map((kind) => [kind.name, recent(kind)])) as Record<
      KindName,
      ActorSummary[]
    >;
  }

  /**
   * Replays the stored events of `ref` — a stream id (`job-…`, `worker-…`, `controller`) or a bare
   * job or worker id — up to event `k` (default: the last) through the pure machine.
   * @throws UnknownStreamError when no job, worker or controller stream by that name has events.
   * @throws StepOutOfRangeError when k is not from 1 to the number of events.
   */
  async inspect(ref: string, k?: number): Promise<InspectionView> {
    const { streamId, stored } = await this.findStream(ref);
    const owner = kindOfStream(streamId)!;
    const events = stored.map((event) => this.upcaster.upcast(event));
    const replay = replayTo(owner.kind.machine, events, k ?? events.length);
    const snapshot: AnyMachineSnapshot = replay.snapshot;
    const current = replay.steps[replay.steps.length - 1];
    const path = pathOf(replay.steps);
    return {
      streamId,
      kind: owner.kind.name,
      id: owner.id,
      length: events.length,
      k: replay.k,
      events: events.map((event, i) => ({
        index: i + 1,
        type: event.type,
        at: isoTime(event.data.at as number | undefined),
        recordedAt: isoTime(event.recordedAt),
        position: event.position,
        data: event.data,
      })),
      steps: replay.steps,
      state: {
        value: snapshot.value,
        states: current.states,
        status: snapshot.status,
        context: snapshot.context,
        effects: current.effects,
      },
      path,
      mermaid: toMermaid(this.charts.get(owner.kind.name)!, {
        visited: withAncestors(path),
        current: withAncestors(current.states),
      }),
    };
  }

  private async findStream(ref: string): Promise<{ streamId: string; stored: StoredEvent[] }> {
    const candidates = new Set<string>();
    if (kindOfStream(ref)) candidates.add(ref);
    candidates.add(JOB.streamId(ref));
    candidates.add(WORKER.streamId(ref));
    for (const streamId of candidates) {
      const stored = await this.store.readStream(streamId);
      if (stored.length > 0) return { streamId, stored };
    }
    throw new UnknownStreamError(ref);
  }
}
