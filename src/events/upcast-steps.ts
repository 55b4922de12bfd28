import { UpcastSteps } from './upcaster';

/**
 * Upcasts of stored payloads, per event type and old schema version. When an event's payload
 * changes shape, bump the schemaVersion the writer uses and add the step from the old one here.
 */
export const UPCAST_STEPS: UpcastSteps = {};
