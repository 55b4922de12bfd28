import {
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnModuleDestroy,
  OnModuleInit,
  Optional,
} from '@nestjs/common';
import { Observable, Subject } from 'rxjs';
import { AnyMachineSnapshot, AnyStateMachine } from 'xstate';
import type { EffectDeclarations } from '../../state-machines/effects';
import { Effect, foldEvent, foldEvents, Step } from '../../state-machines/fold';
import { withoutTimers } from '../../state-machines/timers';
import { errorMessage } from '../common/errors';
import { KeyedQueue } from '../common/keyed-queue';
import { Checkpoint } from '../checkpoint/checkpoint';
import { Upcaster } from '../events/upcaster';
import { Clock } from '../ports/clock.port';
import { EventStore, StoredEvent, StreamVersionConflictError } from '../ports/event-store.port';
import { Leadership, SoleLeadership } from '../ports/leadership.port';
import { ActorCheckpoint, machinesIdentity } from './actor-checkpoint';
import { UnknownStreamKindError } from './actor-host.errors';
import { ACTOR_KINDS, ActorKind, kindOfStream } from './actor-kinds';
import { Command, decideCommands } from './decide-commands';
import { EffectHandlers } from './effect-handlers';
import { EffectRetries } from './effect-retries';
import { AnyEffectHandler, EffectHandlerRegistry, EffectRunner } from './effect-runner';
import { SetAside } from './set-aside';
import { SharedLogFollower } from './shared-log-follower';
import { StreamBatches, Waiting } from './stream-batches';
import { TimerAlarms } from './timer-alarms';
import { PendingTimer, TimerBook } from './timer-book';

/** Dispatches to one stream that lose the race to other control planes this many times fail. */
const MAX_CONFLICTS = 5;

/** What folding one event made: its step's effects, and the timers it started or cancelled. */
interface Folded {
  kind: ActorKind;
  event: StoredEvent;
  effects: Effect[];
  timers: { started: PendingTimer[]; cancelled: string[] };
}

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
  /** Appended live by another control plane on a shared log, and followed here. */
  foreign?: boolean;
}

/** The outcome of {@link ActorHost.dispatch}. */
export type DispatchResult =
  { accepted: true; actor: Actor; event: StoredEvent } | { accepted: false; actor: Actor; reason: 'ignored' };

/** What one dispatched command came to: its result, or why it was refused. */
type DispatchOutcome = { result: DispatchResult } | { error: unknown };

export type { Command } from './decide-commands';

/** What the last replay did. */
export interface ReplayStats {
  /** Events folded: those after the checkpoint's position. */
  events: number;
  ms: number;
  /** Stored events the machines could not take, passed over. */
  setAside: number;
  /** The checkpoint's position the replay started after (0: the whole log was folded). */
  fromPosition: number;
  /** Actors taken back from the checkpoint. */
  restoredActors: number;
}

/** Effects an actor's current state still owes: those its entry asked for, at `event`. */
export interface OwedEffects {
  kind: ActorKind;
  event: StoredEvent;
  effects: Effect[];
}

/**
 * Hosts every job, worker and controller machine on top of the event log, which stays the
 * source of truth. On boot it takes back the actors its {@link Checkpoint} holds and folds the
 * log's events after the checkpoint's position through the machines' pure transitions (executing
 * no effect); with no valid checkpoint, that is the whole log. Live, `dispatch` asks the machine
 * first, appends only events the machine accepts, and only then runs their effects.
 *
 * A finished job leaves memory: its state is in its stream, and in the jobs read model. An event
 * dispatched to it later folds its stream again (and is ignored, as a finished machine takes
 * nothing). Workers and the controller stay.
 *
 * Recovery is the host's, not each feature's: it knows, for every actor, the effects its current
 * state still owes (those the state's entry asked for, until an event moves the actor on). Going
 * live it runs them again, and re-arms the pending timers; an effect that throws is retried with
 * backoff, and when it keeps failing the actor gets an `EffectFailed` event saying why.
 *
 * On a log several control planes share, only the leading one goes live ({@link Leadership}):
 * the others append what their requests make, and the leader, following the log, runs what those
 * events ask. A control plane that takes the lead folds the log to its end, then goes live as
 * after a restart.
 */
@Injectable()
export class ActorHost implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(ActorHost.name);
  private readonly actors = new Map<string, Actor>();
  private readonly owed = new Map<string, OwedEffects>();
  private readonly handlers: EffectHandlerRegistry = new Map();
  private readonly timers = new TimerBook();
  private readonly alarms: TimerAlarms;
  private readonly streams = new KeyedQueue();
  /** The commands of one stream that arrive together are decided and appended together. */
  private readonly dispatches = new StreamBatches<Command, DispatchResult>(this.streams, (streamId, batch) =>
    this.dispatchNow(streamId, batch),
  );
  private readonly changes = new Subject<ActorChange>();
  private readonly retries: EffectRetries;
  private readonly effects: EffectRunner;
  private live = false;
  private stopped = false;
  /** On a log other control planes append to: what keeps this host up to date with theirs. */
  private readonly follower?: SharedLogFollower;
  private readonly actorCheckpoint: ActorCheckpoint;
  private replayed: ReplayStats = { events: 0, ms: 0, setAside: 0, fromPosition: 0, restoredActors: 0 };

  /** Every folded event with the actor's new state: replayed ones first, then live ones. */
  readonly changes$: Observable<ActorChange> = this.changes.asObservable();

  constructor(
    private readonly store: EventStore,
    private readonly clock: Clock,
    private readonly upcaster: Upcaster,
    /** Where the host and the read models keep what the log made so far (default: in memory). */
    @Optional() readonly checkpoint: Checkpoint = new Checkpoint(),
    /** Whether this host runs the effects and timers, or only appends and follows (default: it does). */
    @Optional() private readonly leadership: Leadership = new SoleLeadership(),
  ) {
    this.retries = new EffectRetries(clock);
    this.alarms = new TimerAlarms(clock, (timer) => {
      if (!this.timers.isCurrent(timer)) return;
      this.dispatch(timer.streamId, { type: timer.eventType }).catch((error) =>
        this.logger.error(`Timer ${timer.timerId} of ${timer.streamId} failed: ${errorMessage(error)}`),
      );
    });
    this.effects = new EffectRunner(this, this.handlers, this.retries, {
      wanted: (streamId, event) => !this.stopped && this.stillWanted(streamId, event),
      stopped: () => this.stopped,
    });
    this.actorCheckpoint = new ActorCheckpoint({ actors: this.actors, owed: this.owed, timers: this.timers });
    checkpoint.add(this.actorCheckpoint);
    if (store.shared)
      this.follower = new SharedLogFollower(store, checkpoint, {
        inTurn: (streamId, work) => this.streams.run(streamId, work),
        versionInMemory: (streamId) => this.actors.get(streamId)?.version,
        foldForeign: (events) => this.foldForeign(events),
      });
  }

  /**
   * Rebuilds the actors; on a shared log, a host that takes the lead later first folds the log
   * to its end, so that it resumes what the leader before it owed.
   */
  async onModuleInit(): Promise<void> {
    await this.replay();
    const follower = this.follower;
    if (follower) await this.leadership.whenLeading(() => follower.followToEnd());
  }

  /** Goes live (see {@link goLive}) once this control plane leads: at once where it does. */
  onApplicationBootstrap(): Promise<void> {
    return this.leadership.whenLeading(() => this.goLive());
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    this.follower?.stop();
    this.alarms.stop();
    this.retries.stop();
    await this.settle();
    this.checkpoint.flush();
  }

  /**
   * Hands the host the handlers of one kind's effects. Every kind whose machine declares effects
   * needs its handlers before the host goes live.
   * @throws Error if the kind has handlers already: two features must never both perform them.
   */
  handle<TEffects extends EffectDeclarations>(
    kind: ActorKind<AnyStateMachine, TEffects>,
    handlers: EffectHandlers<TEffects>,
  ): void {
    if (this.handlers.has(kind.name)) throw new Error(`The ${kind.name} effects have two sets of handlers`);
    this.handlers.set(kind.name, handlers as Record<string, AnyEffectHandler>);
  }

  /** Whether the kind's effects have their handlers. */
  handles(kind: ActorKind): boolean {
    return this.handlers.has(kind.name);
  }

  /** How many events the last replay folded, how long it took, and how many it set aside. */
  get replayStats(): ReplayStats {
    return { ...this.replayed };
  }

  /**
   * Rebuilds every actor: those the checkpoint holds, then the log's events after its position.
   * Pure folding: no effect runs, no timer is armed. A stored event the machines cannot take (its
   * payload breaks the fold or its upcast) is set aside: passed over, logged, and recorded once as
   * a `RecordSetAside` event, so that one bad record never stops a boot.
   */
  async replay(): Promise<void> {
    const began = performance.now();
    const { position } = await this.checkpoint.open(this.store, machinesIdentity());
    const restoredActors = this.actors.size;
    const setAside = new SetAside();
    let after = position;
    let last: StoredEvent | undefined;
    let events = 0;
    for (;;) {
      const page = await this.store.readAll({ after });
      if (page.length === 0) break;
      for (const stored of page) {
        after = stored.position;
        last = stored;
        setAside.read(stored);
        try {
          if (this.fold(stored)) events++;
        } catch (error) {
          setAside.add(stored, error);
        }
      }
      // Written page by page, so that a long rebuild holds no more than a page of changes; not
      // past an event set aside until its record is in the log.
      if (setAside.count === 0) this.writeCheckpoint(page.at(-1)!);
    }
    await setAside.record(this.store, this.clock.now());
    if (last) this.writeCheckpoint(last);
    this.follower?.start(after);
    this.replayed = {
      events,
      ms: performance.now() - began,
      setAside: setAside.count,
      fromPosition: position,
      restoredActors,
    };
    this.logger.log({ msg: 'rebuilt the actors', ...this.replayed, ms: Math.round(this.replayed.ms) });
  }

  private writeCheckpoint(upTo: StoredEvent): void {
    this.checkpoint.advance(upTo);
    this.checkpoint.flush();
  }

  /**
   * Folds one stored event into its actor, running no effect: a replayed one, or (`foreign`) one
   * another control plane appended; what it made. Undefined for a stream no machine owns, and
   * for an event the actor has folded already (on a shared log the checkpoint may hold a state
   * past its position).
   */
  private fold(stored: StoredEvent, foreign = false): Folded | undefined {
    const event = this.upcaster.upcast(stored);
    const owner = kindOfStream(event.streamId);
    if (!owner) return undefined;
    const actor = this.actors.get(event.streamId);
    if (actor && event.version <= actor.version) return undefined;
    const next = foldEvent(owner.kind.machine, actor?.snapshot, event);
    const timers = this.timers.apply(event.streamId, event.type, next.effects, event.data.at as number);
    this.commit(owner.kind, owner.id, event, next, actor, !foreign, foreign);
    return { kind: owner.kind, event, effects: next.effects, timers };
  }

  /**
   * Folds events of one stream that other control planes appended, in order. The leader then
   * does what the last one asks, as it would for its own dispatch (their appenders ran nothing):
   * its effects, and the timers the events started or cancelled. Those of the events before it
   * are moot (the stream has moved on), as at a replay.
   */
  private foldForeign(events: StoredEvent[]): void {
    const folded = events.map((stored) => this.fold(stored, true)).filter((step) => step !== undefined);
    if (!this.live || folded.length === 0) return;
    for (const { event, timers } of folded) this.alarms.apply(event.streamId, timers);
    const last = folded.at(-1)!;
    this.effects.run(last.event.streamId, last.kind, last.event, withoutTimers(last.effects));
  }

  /**
   * Checks that every kind's effects have handlers (refusing to start otherwise, so that no
   * accepted event waits forever for an effect nobody performs), re-arms pending timers, and runs
   * again the effects that actors still owe — those a crash may have cut short.
   */
  goLive(): void {
    if (this.live) return;
    const unhandled = ACTOR_KINDS.filter(
      (kind) => Object.keys(kind.effects).length > 0 && !this.handlers.has(kind.name),
    );
    if (unhandled.length) {
      throw new Error(`No handlers for the effects of: ${unhandled.map((kind) => kind.name).join(', ')}`);
    }
    this.live = true;
    this.timers.pending().forEach((timer) => this.alarms.arm(timer));
    if (this.owed.size > 0) this.logger.log({ msg: 'resuming owed effects', actors: this.owed.size });
    for (const [streamId, owed] of this.owed) this.effects.run(streamId, owed.kind, owed.event, owed.effects);
  }

  /**
   * Offers `command` to the machine of `streamId`. If the machine takes it, the event is
   * appended to the log and its effects run; if the machine ignores it (a duplicate, an event
   * that is illegal in the current state), nothing is written and nothing runs.
   * @throws UnknownActorError for an event addressed to an actor that does not exist.
   * @throws ActorExistsError for a creation event addressed to one that does.
   */
  dispatch(streamId: string, command: Command): Promise<DispatchResult> {
    return this.dispatches.add(streamId, command);
  }

  /** The actor of a stream, if it is in memory: every worker, the controller, unfinished jobs. */
  get(streamId: string): Actor | undefined {
    return this.actors.get(streamId);
  }

  /**
   * The actor of a stream: the one in memory, or else folded again from its stream (a finished
   * job); undefined when the stream has no events.
   * @throws UnknownStreamKindError for a stream no machine owns.
   */
  async find(streamId: string): Promise<Actor | undefined> {
    const inMemory = this.actors.get(streamId);
    if (inMemory) return inMemory;
    const owner = kindOfStream(streamId);
    if (!owner) throw new UnknownStreamKindError(streamId);
    const { kind, id } = owner;
    const events = await this.store.readStream(streamId);
    if (events.length === 0) return undefined;
    const steps = foldEvents(
      kind.machine,
      events.map((stored) => this.upcaster.upcast(stored)),
    );
    return { kind, id, streamId, snapshot: steps.at(-1)!.snapshot, version: events.at(-1)!.version };
  }

  /** The actors of one kind in memory (see {@link get}), in the order they were created. */
  list(kind: ActorKind): Actor[] {
    return [...this.actors.values()].filter((actor) => actor.kind === kind);
  }

  /** Timers currently pending, with their due times. */
  pendingTimers(): PendingTimer[] {
    return this.timers.pending();
  }

  /** The effects each actor's current state still owes, by stream. */
  owedEffects(): Map<string, Effect[]> {
    return new Map([...this.owed].map(([streamId, owed]) => [streamId, owed.effects]));
  }

  /** Resolves once no effect is running (including effects started by effects, and retries waiting). */
  async settle(): Promise<void> {
    while (this.effects.busy || this.streams.busy) {
      await Promise.all([this.effects.idle(), this.streams.idle()]);
    }
  }

  private async dispatchNow(streamId: string, batch: Array<Waiting<Command, DispatchResult>>): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        const outcomes = await this.decideAndAppend(
          streamId,
          batch.map(({ command }) => command),
        );
        outcomes.forEach((outcome, i) =>
          'error' in outcome ? batch[i].reject(outcome.error) : batch[i].resolve(outcome.result),
        );
        return;
      } catch (error) {
        // Another control plane appended to the stream first: fold its events, and decide again.
        if (!(error instanceof StreamVersionConflictError) || !this.follower || attempt >= MAX_CONFLICTS)
          throw error;
        await this.follower.catchUp(streamId);
      }
    }
  }

  /**
   * Decides a turn's commands ({@link decideCommands}) and appends the events the machine took in
   * one append; then folds them in and runs their effects.
   */
  private async decideAndAppend(streamId: string, commands: Command[]): Promise<DispatchOutcome[]> {
    const owner = kindOfStream(streamId);
    if (!owner) throw new UnknownStreamKindError(streamId);
    const { kind, id } = owner;
    const before = await this.find(streamId);
    const { decided, refused, ignored } = decideCommands(kind, streamId, before?.snapshot, commands, () =>
      this.clock.now(),
    );
    const outcomes: DispatchOutcome[] = [];
    refused.forEach((error, i) => (outcomes[i] = { error }));
    const actors: Array<Actor | undefined> = [before];
    if (decided.length > 0) {
      const appended = await this.store.append(
        streamId,
        decided.map(({ type, data }) => ({ type, data })),
        before?.version ?? 'no_stream',
      );
      appended.events.forEach((stored, k) => {
        const { index, type, data, next } = decided[k];
        const actor = this.commit(kind, id, stored, next, actors[k], false);
        actors.push(actor);
        outcomes[index] = { result: { accepted: true, actor, event: stored } };
        // On a shared log the checkpoint advances as the log is followed, in order.
        if (this.follower) this.follower.appended(stored.position);
        else this.checkpoint.advance(stored);
        const timers = this.timers.apply(streamId, type, next.effects, data.at);
        if (this.live) {
          this.alarms.apply(streamId, timers);
          this.effects.run(streamId, kind, stored, withoutTimers(next.effects));
        }
      });
    }
    // Answered with the state that ignored them: the one the commands before them left.
    ignored.forEach((decidedBefore, i) => {
      outcomes[i] = { result: { accepted: false, actor: actors[decidedBefore]!, reason: 'ignored' } };
    });
    return outcomes;
  }

  private commit(
    kind: ActorKind,
    id: string,
    event: StoredEvent,
    next: Step<never>,
    previous: Actor | undefined,
    replayed: boolean,
    foreign = false,
  ): Actor {
    const actor: Actor = {
      kind,
      id,
      streamId: event.streamId,
      snapshot: next.snapshot,
      version: event.version,
    };
    this.actors.set(event.streamId, actor);
    if (!previous || stateOf(previous.snapshot) !== stateOf(next.snapshot))
      this.oweEntryEffects(actor, event, next);
    this.changes.next({ actor, event, replayed, ...(foreign && { foreign }) });
    if (kind.leavesMemoryWhenDone && actor.snapshot.status === 'done') this.actors.delete(event.streamId);
    this.actorCheckpoint.changedStream(event.streamId);
    this.checkpoint.schedule();
    return actor;
  }

  /**
   * An actor that entered a state owes that state's effects until an event moves it on. A final
   * state owes nothing: its effects tell waiting clients, and after a restart none are waiting.
   */
  private oweEntryEffects(actor: Actor, event: StoredEvent, next: Step<never>): void {
    const effects = withoutTimers(next.effects);
    if (effects.length > 0 && actor.snapshot.status === 'active') {
      this.owed.set(actor.streamId, { kind: actor.kind, event, effects });
    } else {
      this.owed.delete(actor.streamId);
    }
  }

  /** Whether the effects asked for at `event` are still wanted: the actor has not moved on. */
  private stillWanted(streamId: string, event: StoredEvent): boolean {
    return this.owed.get(streamId)?.event === event || this.actors.get(streamId)?.version === event.version;
  }
}

const stateOf = (snapshot: AnyMachineSnapshot): string =>
  typeof snapshot.value === 'string' ? snapshot.value : JSON.stringify(snapshot.value);
