import { AnyStateMachine } from 'xstate';
import { CONTROLLER_EFFECTS, controllerMachine } from '../../state-machines/controller.machine';
import { EffectDeclarations } from '../../state-machines/effects';
import { JOB_EFFECTS, jobMachine } from '../../state-machines/job.machine';
import { WEBHOOK_EFFECTS, webhookMachine } from '../../state-machines/webhook.machine';
import { WORKER_EFFECTS, workerMachine } from '../../state-machines/worker.machine';

/**
 * How one kind of actor maps onto the log: its machine, the effects it declares, its streams and
 * the event that creates it.
 */
export interface ActorKind<
  TMachine extends AnyStateMachine = AnyStateMachine,
  TEffects extends EffectDeclarations = EffectDeclarations,
> {
  name: 'job' | 'worker' | 'controller' | 'webhook';
  machine: TMachine;
  /** The effects its machine declares in `setup()` (timers aside: the host keeps those itself). */
  effects: TEffects;
  /** The event type that creates an actor of this kind; its payload is the machine's input. */
  creationEvent: string;
  /**
   * Whether an actor of this kind leaves the host's memory once its machine is done (jobs, of
   * which there are millions; a read model keeps what the API shows of them).
   */
  leavesMemoryWhenDone: boolean;
  streamId(id: string): string;
  /** The actor id of a stream of this kind, or undefined if the stream is not of this kind. */
  idOf(streamId: string): string | undefined;
}

const prefixed = <TMachine extends AnyStateMachine, TEffects extends EffectDeclarations>(
  name: ActorKind['name'],
  machine: TMachine,
  effects: TEffects,
  creationEvent: string,
  leavesMemoryWhenDone: boolean,
): ActorKind<TMachine, TEffects> => ({
  name,
  machine,
  effects,
  creationEvent,
  leavesMemoryWhenDone,
  streamId: (id) => `${name}-${id}`,
  idOf: (streamId) => (streamId.startsWith(`${name}-`) ? streamId.slice(name.length + 1) : undefined),
});

export const JOB = prefixed('job', jobMachine, JOB_EFFECTS, 'JobUploaded', true);
export const WORKER = prefixed('worker', workerMachine, WORKER_EFFECTS, 'WorkerLaunchRequested', false);
/** A job's webhook: its stream is named after the job (`webhook-<jobId>`). */
export const WEBHOOK = prefixed('webhook', webhookMachine, WEBHOOK_EFFECTS, 'WebhookRequested', true);
/** The stream of the one controller (the autoscaler). */
export const CONTROLLER_STREAM = 'controller';

/** There is one controller; its stream is {@link CONTROLLER_STREAM}. */
export const CONTROLLER: ActorKind<typeof controllerMachine, typeof CONTROLLER_EFFECTS> = {
  name: 'controller',
  machine: controllerMachine,
  effects: CONTROLLER_EFFECTS,
  creationEvent: 'ControllerStarted',
  leavesMemoryWhenDone: false,
  streamId: () => CONTROLLER_STREAM,
  idOf: (streamId) => (streamId === CONTROLLER_STREAM ? CONTROLLER_STREAM : undefined),
};

export const ACTOR_KINDS: readonly ActorKind[] = [JOB, WORKER, CONTROLLER, WEBHOOK] as readonly ActorKind[];

/** The kind and actor id a stream belongs to, or undefined for streams no machine owns. */
export function kindOfStream(streamId: string): { kind: ActorKind; id: string } | undefined {
  for (const kind of ACTOR_KINDS) {
    const id = kind.idOf(streamId);
    if (id !== undefined) return { kind, id };
  }
  return undefined;
}
