import { AnyStateMachine } from 'xstate';
import { controllerMachine } from '../../state-machines/controller.machine';
import { jobMachine } from '../../state-machines/job.machine';
import { workerMachine } from '../../state-machines/worker.machine';
import { EventData } from '../ports/event-store.port';

/** How one kind of actor maps onto the log: its machine, its streams and the event that creates it. */
export interface ActorKind<TMachine extends AnyStateMachine = AnyStateMachine> {
  name: 'job' | 'worker' | 'controller';
  machine: TMachine;
  /** The event type that creates an actor of this kind; its payload is the machine's input. */
  creationEvent: string;
  streamId(id: string): string;
  /** The actor id of a stream of this kind, or undefined if the stream is not of this kind. */
  idOf(streamId: string): string | undefined;
}

const prefixed = <TMachine extends AnyStateMachine>(
  name: ActorKind['name'],
  machine: TMachine,
  creationEvent: string,
): ActorKind<TMachine> => ({
  name,
  machine,
  creationEvent,
  streamId: (id) => `${name}-${id}`,
  idOf: (streamId) => (streamId.startsWith(`${name}-`) ? streamId.slice(name.length + 1) : undefined),
});

export const JOB = prefixed('job', jobMachine, 'JobUploaded');
export const WORKER = prefixed('worker', workerMachine, 'WorkerLaunchRequested');
/** The stream of the one controller (the autoscaler). */
export const CONTROLLER_STREAM = 'controller';

/** There is one controller; its stream is {@link CONTROLLER_STREAM}. */
export const CONTROLLER: ActorKind<typeof controllerMachine> = {
  name: 'controller',
  machine: controllerMachine,
  creationEvent: 'ControllerStarted',
  streamId: () => CONTROLLER_STREAM,
  idOf: (streamId) => (streamId === CONTROLLER_STREAM ? CONTROLLER_STREAM : undefined),
};

export const ACTOR_KINDS: readonly ActorKind[] = [JOB, WORKER, CONTROLLER];

/** The kind and actor id a stream belongs to, or undefined for streams no machine owns. */
export function kindOfStream(streamId: string): { kind: ActorKind; id: string } | undefined {
  for (const kind of ACTOR_KINDS) {
    const id = kind.idOf(streamId);
    if (id !== undefined) return { kind, id };
  }
  return undefined;
}

/** A machine event: the stored event's type with its payload spread beside it. */
export type MachineEvent = { type: string; at: number } & EventData;
