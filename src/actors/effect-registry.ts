import { Injectable } from '@nestjs/common';
import { Effect } from '../../state-machines/fold';
import { StoredEvent } from '../ports/event-store.port';

/** Where an effect came from: the stream and the event whose transition asked for it. */
export interface EffectContext {
  streamId: string;
  event: StoredEvent;
}

export type EffectHandler = (params: Effect['params'], context: EffectContext) => unknown | Promise<unknown>;

/**
 * Maps each effect (a named machine action) to the one feature that performs it. Features
 * register in their constructors or `onModuleInit`; the host checks the map at bootstrap.
 */
@Injectable()
export class EffectRegistry {
  private readonly handlers = new Map<string, EffectHandler>();

  /** @throws Error if `effect` already has a handler: two features must never both perform it. */
  register(effect: string, handler: EffectHandler): void {
    if (this.handlers.has(effect)) throw new Error(`Effect "${effect}" has two handlers`);
    this.handlers.set(effect, handler);
  }

  handlerFor(effect: string): EffectHandler | undefined {
    return this.handlers.get(effect);
  }

  /** Effects among `expected` that nobody handles. */
  missing(expected: Iterable<string>): string[] {
    return [...expected].filter((effect) => !this.handlers.has(effect));
  }

  /** Handlers registered for effects no machine emits (a typo or a leftover). */
  unknown(expected: Iterable<string>): string[] {
    const known = new Set(expected);
    return [...this.handlers.keys()].filter((effect) => !known.has(effect));
  }
}
