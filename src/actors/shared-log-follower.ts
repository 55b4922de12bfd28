import { Logger } from '@nestjs/common';
import { Subscription } from 'rxjs';
import { Checkpoint } from '../checkpoint/checkpoint';
import { errorMessage } from '../common/errors';
import { InOrder } from '../common/in-order';
import { EventStore, StoredEvent } from '../ports/event-store.port';

/** What {@link SharedLogFollower} needs of its host. */
export interface FollowingHost {
  /** Runs `work` in the stream's turn, after the dispatches to it under way. */
  inTurn(streamId: string, work: () => Promise<void>): Promise<void>;
  /** The version of the stream's actor held in memory, if it is. */
  versionInMemory(streamId: string): number | undefined;
  /**
   * Folds events of one stream that other control planes appended, in order; a leading host runs
   * what the last one asks.
   */
  foldForeign(events: StoredEvent[]): void;
}

/**
 * A host's view of a log other control planes append to (`EventStore.shared`): follows the log's
 * live events and has the host fold theirs, in the log's order (its own are folded at their
 * dispatch). The checkpoint advances here, through every event in order, own ones included, so
 * that its position never passes an event not folded yet (a state it holds may be past its
 * position: the host's fold passes over events an actor has folded already).
 */
export class SharedLogFollower {
  private readonly logger = new Logger('ActorHost');
  /** Positions the host appended and folded, not yet seen in the log's live events. */
  private readonly appendedHere = new Set<number>();
  private subscription?: Subscription;
  /** The position up to which every event is folded. */
  private followed = 0;
  private readonly waiting = new Set<{ position: number; resolve: () => void }>();

  constructor(
    private readonly store: EventStore,
    private readonly checkpoint: Checkpoint,
    private readonly host: FollowingHost,
  ) {}

  /** Follows the log's events after `after`. */
  start(after: number): void {
    // Folds finish out of order across streams: the checkpoint moves past an event only once it
    // and every event before it are folded (one that fails holds it there).
    const folded = new InOrder<StoredEvent>((stored) => {
      this.checkpoint.advance(stored);
      this.followed = stored.position;
      for (const waiter of [...this.waiting].filter(({ position }) => position <= stored.position)) {
        this.waiting.delete(waiter);
        waiter.resolve();
      }
    });
    this.followed = after;
    this.subscription = this.store.subscribe(after).subscribe({
      next: (stored) => {
        const finished = folded.add(stored);
        this.host
          .inTurn(stored.streamId, async () => {
            if (!this.appendedHere.delete(stored.position))
              await this.catchUp(stored.streamId, stored.version);
          })
          .then(finished, (error: unknown) =>
            this.logger.error(
              `Could not follow ${stored.streamId} to version ${stored.version}: ${errorMessage(error)}`,
            ),
          );
      },
      error: (error: unknown) =>
        this.logger.error(`Stopped following the shared log: ${errorMessage(error)}`),
    });
  }

  stop(): void {
    this.subscription?.unsubscribe();
  }

  /** Records that the host appended, and folded, the event at `position`. */
  appended(position: number): void {
    this.appendedHere.add(position);
  }

  /**
   * Folds the events other control planes appended to `streamId`, up to `version` (default: all),
   * read from the log. Call within the stream's turn. An actor not in memory is folded from its
   * first event (one created elsewhere); a finished one that left memory takes no event, and is
   * left to the host's `find`.
   */
  async catchUp(streamId: string, version = Infinity): Promise<void> {
    const inMemory = this.host.versionInMemory(streamId);
    if (inMemory === undefined && version === Infinity) return;
    if (inMemory !== undefined && inMemory >= version) return;
    const events = await this.store.readStream(streamId, (inMemory ?? 0) + 1);
    this.host.foldForeign(events.filter((stored) => stored.version <= version));
  }

  /**
   * Resolves once every event the log holds now is folded: what a host that takes the lead waits
   * for, so that it knows everything the leader before it appended.
   */
  async followToEnd(): Promise<void> {
    const end = await this.store.lastPosition();
    if (this.followed >= end) return;
    await new Promise<void>((resolve) => this.waiting.add({ position: end, resolve }));
  }
}
