import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { Observable, Subject } from 'rxjs';
import { AnyMachineSnapshot } from 'xstate';
import { Effect, effectNames, start, step, Step } from '../../state-machines/fold';
import { TIMER_ACTIONS } from '../../state-machines/timers';
import { KeyedQueue } from '../common/keyed-queue';
import { Upcaster } from '../events/upcaster';
import { Clock, TimerHandle } from '../ports/clock.port';
import { EventStore, StoredEvent } from '../ports/event-store.port';
import { ActorExistsError, UnknownActorError, UnknownStreamKindError } from './actor-host.errors';
import { ACTOR_KINDS, ActorKind, kindOfStream, MachineEvent } from './actor-kinds';
import { EffectRegistry } from './effect-registry';
import { PendingTimer, TimerBook } from './timer-book';

/** One actor as the host holds it. */
export interface Actor {
  kind: ActorKind;
  id: string;
  streamId: string;
  snapshot: AnyMachineSnapshot;
  version: number;
}

/** Emitted after each event is folded, on replay (`replayed: true`) and on the live path. */
export interface ActorChange {
  actor: Actor;
  event: StoredEvent;
  replayed: boolean;
}

/** The outcome of {@link ActorHost.dispatch}. */
export type DispatchResult =
  { accepted: true; actor: Actor; event: StoredEvent } | { accepted: false; actor: Actor; reason: 'ignored' };

/** What a caller dispatches: an event type and its payload; `at` defaults to the clock's now. */
export type Command = { type: string; at?: number } & Record<string, unknown>;

/**
 * Hosts every job, worker and controller machine on top of the event log, which stays the
 * source of truth. On boot it folds the whole log through the machines' pure transitions
 * (executing no effect), then re-arms the timers that were pending. Live, `dispatch` asks the
 * machine first, appends only events the machine accepts, and only then runs their effects.
 */
@Injectable()
export class ActorHost implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(ActorHost.name);
  private readonly actors = new Map<string, Actor>();
  private readonly timers = new TimerBook();
  private readonly armed = new Map<string, TimerHandle>();
  private readonly streams = new KeyedQueue();
  private readonly inFlightEffects = new Set<Promise<void>>();
  private readonly changes = new Subject<ActorChange>();
  private live = false;
  private stopped = false;
  private replayed: { events: number; ms: number } = { events: 0, ms: 0 };

  /** Every folded event with the actor's new state: replayed ones first, then live ones. */
  readonly changes$: Observable<ActorChange> = this.changes.asObservable();

  constructor(
    private readonly store: EventStore,
    private readonly clock: Clock,
    private readonly effects: EffectRegistry,
    private readonly upcaster: Upcaster,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.replay();
  }

  onApplicationBootstrap(): void {
    this.goLive();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    this.armed.forEach((handle) => handle.cancel());
    this.armed.clear();
    await this.settle();
  }

  /** How many events the last replay folded, and how long it took. */
  get replayStats(): { events: number; ms: number } {
    return { ...this.replayed };
  }

  /** Rebuilds every actor from the log. Pure folding: no effect runs, no timer is armed. */
  async replay(): Promise<void> {
    const began = performance.now();
    let after = 0;
    let events = 0;
    for (;;) {
      const page = await this.store.readAll({ after });
      if (page.length === 0) break;
      for (const stored of page) {
        after = stored.position;
        const event = this.upcaster.upcast(stored);
        const owner = kindOfStream(event.streamId);
        if (!owner) continue;
        const actor = this.actors.get(event.streamId);
        const next = actor
          ? step(actor.kind.machine, actor.snapshot, toMachineEvent(event))
          : start(owner.kind.machine, event.data);
        this.timers.apply(event.streamId, event.type, next.effects, event.data.at as number);
        this.commit(owner.kind, owner.id, event, next, true);
        events++;
      }
    }
    this.replayed = { events, ms: performance.now() - began };
  }

  /**
   * Checks that every effect the machines emit has exactly one handler and every handler an
   * effect (refusing to start otherwise, so that no accepted event waits forever for an effect
   * nobody performs), re-arms pending timers, and starts executing effects.
   */
  goLive(): void {
    if (this.live) return;
    const expected = hostedEffects();
    const unknown = this.effects.unknown(expected);
    if (unknown.length) {
      throw new Error(`Effect handlers registered for effects no machine emits: ${unknown.join(', ')}`);
    }
    const missing = this.effects.missing(expected);
    if (missing.length) throw new Error(`No handler for effects: ${missing.join(', ')}`);
    this.live = true;
    this.timers.pending().forEach((timer) => this.arm(timer));
  }

  /**
   * Offers `command` to the machine of `streamId`. If the machine takes it, the event is
   * appended to the log and its effects run; if the machine ignores it (a duplicate, an event
   * that is illegal in the current state), nothing is written and nothing runs.
   * @throws UnknownActorError for an event addressed to an actor that does not exist.
   * @throws ActorExistsError for a creation event addressed to one that does.
   */
  dispatch(streamId: string, command: Command): Promise<DispatchResult> {
    return this.streams.run(streamId, () => this.dispatchNow(streamId, command));
  }

  /** The actor of a stream, if it exists. */
  get(streamId: string): Actor | undefined {
    return this.actors.get(streamId);
  }

  /** All actors of one kind. */
  list(kind: ActorKind): Actor[] {
    return [...this.actors.values()].filter((actor) => actor.kind === kind);
  }

  /** Timers currently pending, with their due times. */
  pendingTimers(): PendingTimer[] {
    return this.timers.pending();
  }

  /** Resolves once no effect is running (including effects started by effects). */
  async settle(): Promise<void> {
    while (this.inFlightEffects.size > 0 || this.streams.busy) {
      await Promise.all([...this.inFlightEffects, this.streams.idle()]);
    }
  }

  private async dispatchNow(streamId: string, command: Command): Promise<DispatchResult> {
    const owner = kindOfStream(streamId);
    if (!owner) throw new UnknownStreamKindError(streamId);
    const { type, ...payload } = command;
    const data = { ...payload, at: command.at ?? this.clock.now() };
    const actor = this.actors.get(streamId);
    const isCreation = type === owner.kind.creationEvent;
    if (isCreation && actor) throw new ActorExistsError(streamId);
    if (!isCreation && !actor) throw new UnknownActorError(streamId, type);

    const next = actor
      ? step(actor.kind.machine, actor.snapshot, { type, ...data })
      : start(owner.kind.machine, data);
    if (actor && !next.changed) return { accepted: false, actor, reason: 'ignored' };

    const appended = await this.store.append(streamId, [{ type, data }], actor?.version ?? 'no_stream');
    const [stored] = appended.events;
    const committed = this.commit(owner.kind, owner.id, stored, next, false);
    this.execute(streamId, stored, next.effects);
    return { accepted: true, actor: committed, event: stored };
  }

  private commit(
    kind: ActorKind,
    id: string,
    event: StoredEvent,
    next: Step<never>,
    replayed: boolean,
  ): Actor {
    const actor: Actor = {
      kind,
      id,
      streamId: event.streamId,
      snapshot: next.snapshot,
      version: event.version,
    };
    this.actors.set(event.streamId, actor);
    this.changes.next({ actor, event, replayed });
    return actor;
  }

  private execute(streamId: string, event: StoredEvent, effects: Effect[]): void {
    const { started, cancelled } = this.timers.apply(streamId, event.type, effects, event.data.at as number);
    cancelled.forEach((timerId) => this.disarm(streamId, timerId));
    started.forEach((timer) => this.arm(timer));
    const work = effects.filter((effect) => !(TIMER_ACTIONS as readonly string[]).includes(effect.type));
    if (work.length === 0 || !this.live) return;
    const running: Promise<void> = (async () => {
      for (const effect of work) await this.perform(effect, streamId, event);
    })().finally(() => this.inFlightEffects.delete(running));
    this.inFlightEffects.add(running);
  }

  private async perform(effect: Effect, streamId: string, event: StoredEvent): Promise<void> {
    const handler = this.effects.handlerFor(effect.type);
    if (!handler) {
      this.logger.error(`No handler for effect ${effect.type} of ${streamId}; it did not run`);
      return;
    }
    try {
      await handler(effect.params, { streamId, event });
    } catch (error) {
      this.logger.error(
        `Effect ${effect.type} of ${streamId} failed: ${(error as Error).message}`,
        (error as Error).stack,
      );
    }
  }

  private arm(timer: PendingTimer): void {
    if (!this.live || this.stopped) return;
    const key = `${timer.streamId}\u0000${timer.timerId}`;
    this.armed.get(key)?.cancel();
    this.armed.set(
      key,
      this.clock.setTimer(timer.dueAt - this.clock.now(), () => {
        if (!this.timers.isCurrent(timer)) return;
        this.armed.delete(key);
        this.dispatch(timer.streamId, { type: timer.eventType }).catch((error) =>
          this.logger.error(
            `Timer ${timer.timerId} of ${timer.streamId} failed: ${(error as Error).message}`,
          ),
        );
      }),
    );
  }

  private disarm(streamId: string, timerId: string): void {
    const key = `${streamId}\u0000${timerId}`;
    this.armed.get(key)?.cancel();
    this.armed.delete(key);
  }
}

function toMachineEvent(event: StoredEvent): MachineEvent {
  return { ...event.data, type: event.type } as MachineEvent;
}

/** The effects of every hosted machine that features perform (timers are the host's own). */
export function hostedEffects(): Set<string> {
  const effects = new Set(ACTOR_KINDS.flatMap((kind) => effectNames(kind.machine)));
  TIMER_ACTIONS.forEach((action) => effects.delete(action));
  return effects;
}
