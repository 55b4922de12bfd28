import { assign, setup } from 'xstate';
import { effect, EffectFailed, EffectOf } from './effects';
import { CancelTimerParams, StartTimerParams, timerActionDeclarations } from './timers';

/** One of the classifier's best guesses. */
export interface Prediction {
  label: string;
  probability: number;
}

/** Payload of `JobUploaded`, the event that creates a job. */
export interface JobInput {
  jobId: string;
  fileName: string;
  contentType: string;
  sizeBytes: number;
  /** Deliveries a job may use before it fails (default 3). */
  maxAttempts?: number;
  /**
   * Waiting, uploaded or queued, this long with no attempt under way, the job is enqueued again:
   * its message was lost (default {@link DEFAULT_JOB_DEADLINE_MS}).
   */
  deadlineMs?: number;
  /** Where to POST the job's view when it ends (a webhook), if its client asked for one. */
  callbackUrl?: string;
  at: number;
}

export type JobEvent =
  | { type: 'JobQueued'; messageId: string; at: number }
  | { type: 'JobAttemptStarted'; workerId: string; attempt: number; at: number }
  | { type: 'JobAttemptFailed'; workerId: string; reason: string; at: number }
  | { type: 'JobDeadLettered'; reason: string; at: number }
  | { type: 'JobRejected'; reason: string; at: number }
  | {
      type: 'JobClassified';
      workerId: string;
      label: string;
      top5: Prediction[];
      /** The worker's time for this image (its batch's time ÷ batch size), when it reported one. */
      serviceMs?: number;
      at: number;
    }
  | { type: 'JobReported'; at: number }
  | { type: 'JobDeadlinePassed'; at: number }
  /** The worker holding the job was lost; `alone`: the job was the only one it held. */
  | { type: 'JobReleased'; workerId: string; alone: boolean; at: number }
  | EffectFailed;

export interface JobContext {
  jobId: string;
  fileName: string;
  contentType: string;
  sizeBytes: number;
  maxAttempts: number;
  attempts: number;
  deadlineMs: number;
  callbackUrl?: string;
  /** Times the job was handed to the request queue (entries into `uploaded`). */
  enqueues: number;
  /** Workers lost while holding the job, and of those, while holding it alone. */
  releases?: number;
  releasesAlone?: number;
  messageId?: string;
  workerId?: string;
  /** When the latest attempt started. */
  startedAt?: number;
  label?: string;
  top5?: Prediction[];
  error?: string;
  uploadedAt: number;
  queuedAt?: number;
  classifiedAt?: number;
  reportedAt?: number;
  endedAt?: number;
}

/** Params of the job's effects, executed by the host on the live path only. */
export interface EnqueueJobParams {
  jobId: string;
  fileName: string;
  contentType: string;
  /** The job was held by a worker that was lost: the next one classifies it alone. */
  alone: boolean;
}
export interface ReportResultParams {
  jobId: string;
  label: string;
  top5: Prediction[];
}
export interface ReportFailureParams {
  jobId: string;
  status: 'rejected' | 'failed';
  reason: string;
}

export const DEFAULT_MAX_ATTEMPTS = 3;
export const DEFAULT_JOB_DEADLINE_MS = 60 * 60_000;
/**
 * Workers lost while holding a job, in all, before it fails. Losses while the job was one of
 * several in hand say nothing about the job; this bounds them all the same.
 */
export const MAX_RELEASES = 10;

/** The effects a job asks for; the host performs them. */
export const JOB_EFFECTS = {
  enqueueJob: effect<EnqueueJobParams>(),
  reportResult: effect<ReportResultParams>(),
  reportFailure: effect<ReportFailureParams>(),
};
export type JobEffect = EffectOf<typeof JOB_EFFECTS>;

const armDeadline = {
  type: 'startTimer',
  params: ({ context }: { context: JobContext }): StartTimerParams => ({
    timerId: 'deadline',
    delayMs: context.deadlineMs,
    eventType: 'JobDeadlinePassed',
  }),
} as const;
const cancelDeadline = {
  type: 'cancelTimer',
  params: (): CancelTimerParams => ({ timerId: 'deadline' }),
} as const;
const failEffect = { target: 'failed', actions: 'recordEffectFailure' } as const;

/**
 * The life of one image: uploaded → queued → classified → reported, or rejected (bad input)
 * or failed (attempts exhausted, dead-lettered, its message lost too often, an effect that kept
 * failing). A job waiting with no attempt under way past its deadline is enqueued again. Delivery is at least once, so a result may
 * overtake the queue's acknowledgement (uploaded → classified) and duplicates are ignored.
 * Pure: times and ids arrive in events; effects are named actions the host executes.
 */
export const jobMachine = setup({
  types: {
    context: {} as JobContext,
    events: {} as JobEvent,
    input: {} as JobInput,
  },
  actions: {
    ...timerActionDeclarations,
    ...JOB_EFFECTS,
    recordAttempt: assign(({ context, event }) => {
      const { attempt, workerId, at } = event as Extract<JobEvent, { type: 'JobAttemptStarted' }>;
      return { attempts: Math.max(context.attempts, attempt), workerId, startedAt: at };
    }),
    recordResult: assign(({ event }) => {
      const { workerId, label, top5, at } = event as Extract<JobEvent, { type: 'JobClassified' }>;
      return { workerId, label, top5, classifiedAt: at };
    }),
    recordError: assign(({ event }) => ({ error: (event as Extract<JobEvent, { reason: string }>).reason })),
    recordEffectFailure: assign(({ event }) => {
      const { effect, reason, attempts } = event as EffectFailed;
      return { error: `${effect} failed after ${attempts} attempts: ${reason}` };
    }),
    recordLostDeliveries: assign(({ context }) => ({
      error: `no result: enqueued ${context.enqueues} times, each time waiting ${context.deadlineMs} ms with no attempt under way`,
    })),
    countEnqueue: assign({ enqueues: ({ context }) => context.enqueues + 1 }),
    countRelease: assign(({ context, event }) => ({
      releases: (context.releases ?? 0) + 1,
      releasesAlone: (context.releasesAlone ?? 0) + ((event as { alone?: boolean }).alone ? 1 : 0),
    })),
    recordPoison: assign(({ context }) => ({
      error:
        `its worker was lost ${context.releases} times while holding it` +
        ` (${context.releasesAlone} of them while classifying it alone): a poison input?`,
    })),
    recordEnd: assign({ endedAt: ({ event }) => event.at }),
  },
  guards: {
    attemptsExhausted: ({ context }) => context.attempts >= context.maxAttempts,
    enqueuesExhausted: ({ context }) => context.enqueues >= context.maxAttempts,
    lastDeliveryLeft: ({ context }) => context.attempts + 1 >= context.maxAttempts,
    // Counting the release at hand.
    releasesExhausted: ({ context, event }) =>
      (context.releasesAlone ?? 0) + ((event as { alone?: boolean }).alone ? 1 : 0) >= context.maxAttempts ||
      (context.releases ?? 0) + 1 >= MAX_RELEASES,
  },
}).createMachine({
  id: 'job',
  initial: 'uploaded',
  context: ({ input }) => ({
    jobId: input.jobId,
    fileName: input.fileName,
    contentType: input.contentType,
    sizeBytes: input.sizeBytes,
    maxAttempts: input.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    attempts: 0,
    deadlineMs: input.deadlineMs ?? DEFAULT_JOB_DEADLINE_MS,
    enqueues: 0,
    uploadedAt: input.at,
    ...(input.callbackUrl !== undefined && { callbackUrl: input.callbackUrl }),
  }),
  states: {
    uploaded: {
      entry: [
        'countEnqueue',
        {
          type: 'enqueueJob',
          params: ({ context }) => ({
            jobId: context.jobId,
            fileName: context.fileName,
            contentType: context.contentType,
            alone: (context.releases ?? 0) > 0,
          }),
        },
        armDeadline,
      ],
      exit: cancelDeadline,
      on: {
        JobQueued: {
          target: 'queued',
          actions: assign({ messageId: ({ event }) => event.messageId, queuedAt: ({ event }) => event.at }),
        },
        JobRejected: { target: 'rejected', actions: 'recordError' },
        JobClassified: { target: 'classified', actions: 'recordResult' },
        // A worker may receive the message before the queue's acknowledgement is recorded, and
        // the queue may give up on it before then too.
        JobAttemptStarted: { actions: ['recordAttempt', armDeadline] },
        JobDeadLettered: { target: 'failed', actions: 'recordError' },
        // Its worker was lost: its message is given back at once, and goes to a worker that
        // classifies it alone. When the next delivery would be its last, a fresh message replaces
        // it, so that losses never use up its deliveries; a job that keeps bringing workers down
        // fails.
        JobReleased: [
          { guard: 'releasesExhausted', target: 'failed', actions: ['countRelease', 'recordPoison'] },
          { guard: 'lastDeliveryLeft', target: 'uploaded', reenter: true, actions: 'countRelease' },
          { actions: 'countRelease' },
        ],
        // The queue never took the message (or its answer was lost): hand it over again.
        JobDeadlinePassed: [
          { guard: 'enqueuesExhausted', target: 'failed', actions: 'recordLostDeliveries' },
          { target: 'uploaded', reenter: true },
        ],
        EffectFailed: failEffect,
      },
    },
    queued: {
      entry: armDeadline,
      exit: cancelDeadline,
      on: {
        JobAttemptFailed: [
          { guard: 'attemptsExhausted', target: 'failed', actions: 'recordError' },
          { actions: ['recordError', armDeadline] },
        ],
        JobAttemptStarted: { actions: ['recordAttempt', armDeadline] },
        JobDeadLettered: { target: 'failed', actions: 'recordError' },
        JobRejected: { target: 'rejected', actions: 'recordError' },
        JobClassified: { target: 'classified', actions: 'recordResult' },
        // Its worker was lost: its message is given back at once, and goes to a worker that
        // classifies it alone. When the next delivery would be its last, a fresh message replaces
        // it, so that losses never use up its deliveries; a job that keeps bringing workers down
        // fails.
        JobReleased: [
          { guard: 'releasesExhausted', target: 'failed', actions: ['countRelease', 'recordPoison'] },
          { guard: 'lastDeliveryLeft', target: 'uploaded', actions: 'countRelease' },
          { actions: 'countRelease' },
        ],
        // No attempt under way for a whole deadline: the message is lost; send another.
        JobDeadlinePassed: [
          { guard: 'enqueuesExhausted', target: 'failed', actions: 'recordLostDeliveries' },
          { target: 'uploaded' },
        ],
      },
    },
    classified: {
      entry: {
        type: 'reportResult',
        params: ({ context }) => ({ jobId: context.jobId, label: context.label!, top5: context.top5! }),
      },
      on: {
        JobReported: { target: 'reported', actions: assign({ reportedAt: ({ event }) => event.at }) },
        EffectFailed: failEffect,
      },
    },
    reported: { type: 'final', entry: 'recordEnd' },
    rejected: {
      type: 'final',
      entry: [
        'recordEnd',
        {
          type: 'reportFailure',
          params: ({ context }) => ({
            jobId: context.jobId,
            status: 'rejected' as const,
            reason: context.error!,
          }),
        },
      ],
    },
    failed: {
      type: 'final',
      entry: [
        'recordEnd',
        {
          type: 'reportFailure',
          params: ({ context }) => ({
            jobId: context.jobId,
            status: 'failed' as const,
            reason: context.error!,
          }),
        },
      ],
    },
  },
});
