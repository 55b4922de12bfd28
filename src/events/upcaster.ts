import { EventData, StoredEvent } from '../ports/event-store.port';

/** Turns a payload of schema version `n` into version `n + 1`. */
export type UpcastStep = (data: EventData) => EventData;

/** Per event type, the steps from each old schema version to the next one. */
export type UpcastSteps = Record<string, Record<number, UpcastStep>>;

/**
 * Brings stored events written under older payload schemas up to the current one, step by
 * step, so the machines only ever see current payloads. Events without steps pass unchanged.
 */
export class Upcaster {
  constructor(private readonly steps: UpcastSteps = {}) {}

  upcast(event: StoredEvent): StoredEvent {
    const steps = this.steps[event.type];
    if (!steps) return event;
    let { data, schemaVersion } = event;
    while (steps[schemaVersion]) {
      data = steps[schemaVersion](data);
      schemaVersion += 1;
    }
    return schemaVersion === event.schemaVersion ? event : { ...event, data, schemaVersion };
  }
}
