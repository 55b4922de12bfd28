import { Observable } from 'rxjs';
import {
  AppendResult,
  EventStore,
  ExpectedVersion,
  NewEvent,
  ReadAllOptions,
  StoredEvent,
} from '../ports/event-store.port';

/**
 * A crash point, for fault-injection tests: an event type, optionally with one field that must
 * have a given value — `ScalingDecided` or `ScalingDecided decision.action=scaleIn`.
 */
export interface CrashPoint {
  type: string;
  field?: { path: string[]; value: string };
}

/**
 * Reads a crash point (`CRASH_AFTER_EVENT`): `Type` or `Type path.to.field=value`.
 * @throws Error for a spec that is neither.
 */
export function parseCrashPoint(spec: string): CrashPoint {
  const match = /^(\w+)(?:\s+([\w.]+)=(\S+))?$/.exec(spec.trim());
  if (!match) throw new Error(`CRASH_AFTER_EVENT must be "Type" or "Type field.path=value", got "${spec}"`);
  const [, type, path, value] = match;
  return path === undefined ? { type } : { type, field: { path: path.split('.'), value } };
}

/** Whether `event` is the crash point's. */
export function matchesCrashPoint(point: CrashPoint, event: StoredEvent): boolean {
  if (event.type !== point.type) return false;
  if (!point.field) return true;
  let value: unknown = event.data;
  for (const key of point.field.path) value = (value as Record<string, unknown> | undefined)?.[key];
  return String(value) === point.field.value;
}

/** What a crash is: by default the process kills itself, as a power cut or the OOM killer would. */
export const killThisProcess = (): void => void process.kill(process.pid, 'SIGKILL');

/**
 * An event store that crashes the process right after the first append that contains an event
 * matching the crash point is committed — before the caller, or any effect, sees it.
 */
export class CrashingEventStore extends EventStore {
  constructor(
    private readonly inner: EventStore,
    private readonly point: CrashPoint,
    private readonly crash: () => void = killThisProcess,
  ) {
    super();
    this.shared = inner.shared;
  }

  override readonly shared: boolean;

  async append(
    streamId: string,
    events: NewEvent[],
    expectedVersion: ExpectedVersion,
  ): Promise<AppendResult> {
    const result = await this.inner.append(streamId, events, expectedVersion);
    if (result.events.some((event) => matchesCrashPoint(this.point, event))) this.crash();
    return result;
  }

  readStream(streamId: string, fromVersion?: number): Promise<StoredEvent[]> {
    return this.inner.readStream(streamId, fromVersion);
  }

  readAll(options?: ReadAllOptions): Promise<StoredEvent[]> {
    return this.inner.readAll(options);
  }

  lastPosition(): Promise<number> {
    return this.inner.lastPosition();
  }

  subscribe(after?: number): Observable<StoredEvent> {
    return this.inner.subscribe(after);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
