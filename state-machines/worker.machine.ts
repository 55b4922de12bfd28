import { and, assign, setup } from 'xstate';
import { effect, EffectFailed, EffectOf } from './effects';
import { CancelTimerParams, StartTimerParams, timerActionDeclarations } from './timers';

/** Payload of `WorkerLaunchRequested`, the event that creates a worker. */
export interface WorkerInput {
  workerId: string;
  /** Why the controller launched it. */
  reason: string;
  /** No sign of life for this long once started → lost (default 60 000 ms). */
  heartbeatTimeoutMs?: number;
  /**
   * Not started this long after the launch → lost, and the controller launches another (default:
   * `heartbeatTimeoutMs`). The fleet passes 3 × EXPECTED_BOOT_MS: a launch that slow has most
   * likely failed, and waiting longer only holds back its replacement.
   */
  bootTimeoutMs?: number;
  /** No job for this long → idle (default 5 000 ms). */
  idleTimeoutMs?: number;
  at: number;
}

/** A job a worker took, with its request message's receipt handle when the worker reported one. */
export interface StartedJob {
  jobId: string;
  receiptHandle?: string;
}

export type WorkerEvent =
  | { type: 'WorkerStarted'; instanceId: string; modelId?: string; seq?: number; at: number }
  | { type: 'WorkerHeartbeat'; seq?: number; at: number }
  /** The jobs of one receive, taken together; `seq`: the last of their start reports. */
  | { type: 'WorkerJobsStarted'; jobs: StartedJob[]; seq?: number; at: number }
  /** Jobs the worker finished together (one batch's results); `seq`: the last of their reports. */
  | { type: 'WorkerJobsFinished'; jobIds: string[]; seq?: number; at: number }
  /** One job taken: the event of logs recorded before starts were batched. */
  | ({ type: 'WorkerJobStarted'; seq?: number; at: number } & StartedJob)
  /** One job finished: the event of logs recorded before results were batched. */
  | { type: 'WorkerJobFinished'; jobId: string; seq?: number; at: number }
  | { type: 'WorkerIdleTimeoutElapsed'; at: number }
  /** The worker's receive came back empty while it held no job: it is idle now, not after the timeout. */
  | { type: 'WorkerQueueEmpty'; seq?: number; at: number }
  | { type: 'WorkerHeartbeatMissed'; at: number }
  | { type: 'WorkerTerminationRequested'; reason: string; at: number }
  | { type: 'WorkerStopped'; exitCode: number | null; signal: string | null; at: number }
  | EffectFailed;

export interface WorkerContext {
  workerId: string;
  launchReason: string;
  heartbeatTimeoutMs: number;
  /** Absent in workers launched before it existed: their boot had `heartbeatTimeoutMs`. */
  bootTimeoutMs?: number;
  idleTimeoutMs: number;
  instanceId?: string;
  /** The model the worker loaded, as its start report names it. */
  modelId?: string;
  /** Jobs the worker has taken and not finished, oldest first (a worker takes jobs in batches). */
  jobsInHand: string[];
  /** The request messages' receipt handles of the jobs in hand that reported one, by job id. */
  receipts?: Record<string, string>;
  jobsDone: number;
  /** When the worker last became idle. */
  idleSince?: number;
  /** Sequence number of the last report taken from the worker (0 before any). */
  lastSeq: number;
  launchedAt: number;
  startedAt?: number;
  lastSeenAt: number;
  stopReason?: string;
  endedAt?: number;
  /** Times the worker's process started again on its instance (systemd restarts a crashed worker). */
  restarts?: number;
}

/** Params of the worker's effects, executed by the host on the live path only. */
export interface LaunchWorkerParams {
  workerId: string;
}
export interface StopWorkerParams {
  workerId: string;
  instanceId?: string;
  /** true when the worker is lost: stop it without waiting for a drain. */
  force: boolean;
}
/** The jobs a lost worker held whose request messages it named, to hand to another worker at once. */
export interface ReleaseJobsParams {
  workerId: string;
  jobs: Array<{ jobId: string; receiptHandle: string }>;
  /** How many jobs it held in all: one alone may be what brought it down. */
  held: number;
}

/** The effects a worker asks for; the host performs them. */
export const WORKER_EFFECTS = {
  launchWorker: effect<LaunchWorkerParams>(),
  stopWorker: effect<StopWorkerParams>(),
  releaseJobs: effect<ReleaseJobsParams>(),
};
export type WorkerEffect = EffectOf<typeof WORKER_EFFECTS>;

export const DEFAULT_HEARTBEAT_TIMEOUT_MS = 60_000;
export const DEFAULT_IDLE_TIMEOUT_MS = 5_000;

type Ctx = { context: WorkerContext };

type StartEvent = Extract<WorkerEvent, { type: 'WorkerJobsStarted' | 'WorkerJobStarted' }>;
type FinishEvent = Extract<WorkerEvent, { type: 'WorkerJobsFinished' | 'WorkerJobFinished' }>;

/** The jobs a start event names: a batch, or one in logs recorded before batches. */
const startedJobs = (event: WorkerEvent): StartedJob[] => {
  const start = event as StartEvent;
  return start.type === 'WorkerJobsStarted'
    ? start.jobs
    : [{ jobId: start.jobId, receiptHandle: start.receiptHandle }];
};
/** The jobs a finish event names: a batch, or one in logs recorded before batches. */
const finishedJobs = (event: WorkerEvent): string[] => {
  const finish = event as FinishEvent;
  return finish.type === 'WorkerJobsFinished' ? finish.jobIds : [finish.jobId];
};

const armLiveness = {
  type: 'startTimer',
  params: ({ context }: Ctx): StartTimerParams => ({
    timerId: 'liveness',
    delayMs: context.heartbeatTimeoutMs,
    eventType: 'WorkerHeartbeatMissed',
  }),
} as const;
const armBootDeadline = {
  type: 'startTimer',
  params: ({ context }: Ctx): StartTimerParams => ({
    timerId: 'liveness',
    delayMs: context.bootTimeoutMs ?? context.heartbeatTimeoutMs,
    eventType: 'WorkerHeartbeatMissed',
  }),
} as const;
const armIdle = {
  type: 'startTimer',
  params: ({ context }: Ctx): StartTimerParams => ({
    timerId: 'idle',
    delayMs: context.idleTimeoutMs,
    eventType: 'WorkerIdleTimeoutElapsed',
  }),
} as const;
const cancelLiveness = {
  type: 'cancelTimer',
  params: (): CancelTimerParams => ({ timerId: 'liveness' }),
} as const;
const cancelIdle = { type: 'cancelTimer', params: (): CancelTimerParams => ({ timerId: 'idle' }) } as const;
// A worker taking jobs, running already or idle until then.
const takeInRunning = { guard: 'isFresh', actions: ['seen', armLiveness, 'takeJobs', cancelIdle] } as const;
const takeInIdle = { guard: 'isFresh', target: 'running', actions: ['seen', 'takeJobs'] } as const;
// A running worker finishing jobs: idle again after the idle timeout once it holds none.
const finishInRunning = [
  { guard: and(['isFresh', 'holdsOnlyThem']), actions: ['seen', armLiveness, 'finishJobs', armIdle] },
  { guard: and(['isFresh', 'holdsAnyOfThem']), actions: ['seen', armLiveness, 'finishJobs'] },
] as const;
// A stopping worker finishing the jobs it still held.
const finishInTerminating = {
  guard: and(['isFresh', 'holdsAnyOfThem']),
  actions: ['seen', 'finishJobs'],
} as const;

/**
 * One worker instance: pending → running → idle → terminating → terminated, or lost when it
 * stops answering or exits unasked. A worker whose process starts again on its instance (a newer
 * start report) is running again, holding no job. A busy worker is never terminated: a termination request
 * is refused while it holds a job. Pure: times and ids arrive in events.
 */
export const workerMachine = setup({
  types: {
    context: {} as WorkerContext,
    events: {} as WorkerEvent,
    input: {} as WorkerInput,
  },
  actions: {
    ...timerActionDeclarations,
    ...WORKER_EFFECTS,
    recordEffectFailure: assign(({ event }) => {
      const { effect, reason } = event as EffectFailed;
      return { stopReason: `${effect} failed: ${reason}` };
    }),
    seen: assign(({ context, event }) => ({
      lastSeenAt: event.at,
      lastSeq: (event as { seq?: number }).seq ?? context.lastSeq,
    })),
    takeJobs: assign(({ context, event }) => {
      const jobs = startedJobs(event);
      const handed = jobs.filter((job) => job.receiptHandle !== undefined);
      return {
        jobsInHand: [...context.jobsInHand, ...jobs.map((job) => job.jobId)],
        ...(handed.length > 0 && {
          receipts: {
            ...context.receipts,
            ...Object.fromEntries(handed.map((job) => [job.jobId, job.receiptHandle!])),
          },
        }),
      };
    }),
    // Only the jobs in hand count: a finish repeated, or of a job taken before a restart, is not one.
    finishJobs: assign(({ context, event }) => {
      const finished = new Set(finishedJobs(event).filter((id) => context.jobsInHand.includes(id)));
      const receipts = context.receipts && { ...context.receipts };
      finished.forEach((id) => delete receipts?.[id]);
      return {
        jobsInHand: context.jobsInHand.filter((id) => !finished.has(id)),
        jobsDone: context.jobsDone + finished.size,
        ...(receipts && { receipts }),
      };
    }),
    end: assign({ endedAt: ({ event }) => event.at }),
    // The jobs the previous process held come back to the queue when their visibility lapses.
    restarted: assign(({ context, event }) => {
      const { instanceId, modelId, at } = event as Extract<WorkerEvent, { type: 'WorkerStarted' }>;
      return {
        instanceId,
        modelId,
        startedAt: at,
        jobsInHand: [],
        receipts: undefined,
        restarts: (context.restarts ?? 0) + 1,
      };
    }),
    recordStopReason: assign({
      stopReason: ({ event }) =>
        (event as Extract<WorkerEvent, { type: 'WorkerTerminationRequested' }>).reason,
    }),
  },
  guards: {
    // Reports travel on a queue that does not keep order: one older than the last taken is stale.
    isFresh: ({ context, event }) => {
      const { seq } = event as { seq?: number };
      return seq === undefined || seq > context.lastSeq;
    },
    // A start report newer than the last report taken: the process restarted under the same id.
    isRestart: ({ context, event }) => {
      const { seq } = event as { seq?: number };
      return seq !== undefined && seq > context.lastSeq;
    },
    // A heartbeat only matters when the liveness timer needs re-arming: taking one at most every
    // quarter of the timeout keeps the worker alive and the log from filling with heartbeats
    // (with EC2's 180 s timeout, one in nine of the worker's 5 s heartbeats).
    heartbeatDue: ({ context, event }) => event.at - context.lastSeenAt >= context.heartbeatTimeoutMs / 4,
    holdsNoJob: ({ context }) => context.jobsInHand.length === 0,
    holdsAnyOfThem: ({ context, event }) => finishedJobs(event).some((id) => context.jobsInHand.includes(id)),
    // The finish leaves the worker with no job in hand.
    holdsOnlyThem: ({ context, event }) => {
      const finished = finishedJobs(event);
      return context.jobsInHand.length > 0 && context.jobsInHand.every((id) => finished.includes(id));
    },
  },
}).createMachine({
  id: 'worker',
  initial: 'pending',
  context: ({ input }) => ({
    workerId: input.workerId,
    launchReason: input.reason,
    heartbeatTimeoutMs: input.heartbeatTimeoutMs ?? DEFAULT_HEARTBEAT_TIMEOUT_MS,
    bootTimeoutMs: input.bootTimeoutMs,
    idleTimeoutMs: input.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
    jobsInHand: [],
    jobsDone: 0,
    lastSeq: 0,
    launchedAt: input.at,
    lastSeenAt: input.at,
  }),
  states: {
    pending: {
      entry: [
        { type: 'launchWorker', params: ({ context }) => ({ workerId: context.workerId }) },
        armBootDeadline,
      ],
      on: {
        WorkerStarted: {
          guard: 'isFresh',
          target: 'running',
          actions: [
            'seen',
            assign({
              instanceId: ({ event }) => event.instanceId,
              modelId: ({ event }) => event.modelId,
              startedAt: ({ event }) => event.at,
            }),
            armIdle,
          ],
        },
        WorkerHeartbeatMissed: { target: 'lost', actions: assign({ stopReason: 'did not start in time' }) },
        WorkerStopped: { target: 'lost', actions: assign({ stopReason: 'exited while starting' }) },
        EffectFailed: { target: 'lost', actions: 'recordEffectFailure' },
      },
    },
    running: {
      entry: armLiveness,
      on: {
        WorkerStarted: { guard: 'isRestart', actions: ['seen', 'restarted', armLiveness, armIdle] },
        WorkerHeartbeat: { guard: and(['isFresh', 'heartbeatDue']), actions: ['seen', armLiveness] },
        WorkerJobsStarted: takeInRunning,
        WorkerJobsFinished: finishInRunning,
        WorkerJobStarted: takeInRunning,
        WorkerJobFinished: finishInRunning,
        WorkerIdleTimeoutElapsed: {
          guard: 'holdsNoJob',
          target: 'idle',
          actions: assign({ idleSince: ({ event }) => event.at }),
        },
        WorkerQueueEmpty: {
          guard: and(['isFresh', 'holdsNoJob']),
          target: 'idle',
          actions: ['seen', cancelIdle, assign({ idleSince: ({ event }) => event.at })],
        },
        WorkerTerminationRequested: {
          guard: 'holdsNoJob',
          target: 'terminating',
          actions: 'recordStopReason',
        },
        WorkerHeartbeatMissed: { target: 'lost', actions: assign({ stopReason: 'heartbeats stopped' }) },
        WorkerStopped: { target: 'lost', actions: assign({ stopReason: 'exited unasked' }) },
      },
    },
    idle: {
      on: {
        WorkerStarted: { guard: 'isRestart', target: 'running', actions: ['seen', 'restarted', armIdle] },
        WorkerHeartbeat: { guard: and(['isFresh', 'heartbeatDue']), actions: ['seen', armLiveness] },
        WorkerJobsStarted: takeInIdle,
        WorkerJobStarted: takeInIdle,
        WorkerTerminationRequested: { target: 'terminating', actions: 'recordStopReason' },
        WorkerHeartbeatMissed: { target: 'lost', actions: assign({ stopReason: 'heartbeats stopped' }) },
        WorkerStopped: { target: 'lost', actions: assign({ stopReason: 'exited unasked' }) },
      },
    },
    terminating: {
      entry: [
        cancelIdle,
        {
          type: 'stopWorker',
          params: ({ context }) => ({
            workerId: context.workerId,
            instanceId: context.instanceId,
            force: false,
          }),
        },
      ],
      on: {
        WorkerHeartbeat: { guard: and(['isFresh', 'heartbeatDue']), actions: ['seen', armLiveness] },
        WorkerJobsFinished: finishInTerminating,
        WorkerJobFinished: finishInTerminating,
        WorkerStopped: { target: 'terminated' },
        WorkerHeartbeatMissed: { target: 'lost', actions: assign({ stopReason: 'did not stop in time' }) },
        // A graceful stop that cannot be asked for is forced.
        EffectFailed: { target: 'lost', actions: 'recordEffectFailure' },
      },
    },
    lost: {
      entry: [
        cancelLiveness,
        cancelIdle,
        'end',
        {
          type: 'stopWorker',
          params: ({ context }) => ({
            workerId: context.workerId,
            instanceId: context.instanceId,
            force: true,
          }),
        },
        // Its jobs need not wait out their visibility timeout: no one else will finish them.
        {
          type: 'releaseJobs',
          params: ({ context }) => ({
            workerId: context.workerId,
            jobs: context.jobsInHand.flatMap((jobId) => {
              const receiptHandle = context.receipts?.[jobId];
              return receiptHandle ? [{ jobId, receiptHandle }] : [];
            }),
            held: context.jobsInHand.length,
          }),
        },
      ],
      on: {
        WorkerStopped: { target: 'terminated' },
      },
    },
    terminated: { type: 'final', entry: [cancelLiveness, 'end'] },
  },
});
