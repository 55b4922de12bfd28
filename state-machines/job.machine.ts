import { assign, setup } from 'xstate';

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
  | { type: 'JobReported'; at: number };

export interface JobContext {
  jobId: string;
  fileName: string;
  contentType: string;
  sizeBytes: number;
  maxAttempts: number;
  attempts: number;
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

/**
 * The life of one image: uploaded → queued → classified → reported, or rejected (bad input)
 * or failed (attempts exhausted, dead-lettered). Delivery is at least once, so a result may
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
    enqueueJob: (_, _params: EnqueueJobParams) => {},
    reportResult: (_, _params: ReportResultParams) => {},
    reportFailure: (_, _params: ReportFailureParams) => {},
    recordAttempt: assign(({ context, event }) => {
      const { attempt, workerId, at } = event as Extract<JobEvent, { type: 'JobAttemptStarted' }>;
      return { attempts: Math.max(context.attempts, attempt), workerId, startedAt: at };
    }),
    recordResult: assign(({ event }) => {
      const { workerId, label, top5, at } = event as Extract<JobEvent, { type: 'JobClassified' }>;
      return { workerId, label, top5, classifiedAt: at };
    }),
    recordError: assign(({ event }) => ({ error: (event as Extract<JobEvent, { reason: string }>).reason })),
    recordEnd: assign({ endedAt: ({ event }) => event.at }),
  },
  guards: {
    attemptsExhausted: ({ context }) => context.attempts >= context.maxAttempts,
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
    uploadedAt: input.at,
  }),
  states: {
    uploaded: {
      entry: { type: 'enqueueJob', params: ({ context }) => ({ jobId: context.jobId }) },
      on: {
        JobQueued: {
          target: 'queued',
          actions: assign({ messageId: ({ event }) => event.messageId, queuedAt: ({ event }) => event.at }),
        },
        JobRejected: { target: 'rejected', actions: 'recordError' },
        JobClassified: { target: 'classified', actions: 'recordResult' },
        // A worker may receive the message before the queue's acknowledgement is recorded, and
        // the queue may give up on it before then too.
        JobAttemptStarted: { actions: 'recordAttempt' },
        JobDeadLettered: { target: 'failed', actions: 'recordError' },
      },
    },
    queued: {
      on: {
        JobAttemptFailed: [
          { guard: 'attemptsExhausted', target: 'failed', actions: 'recordError' },
          { actions: 'recordError' },
        ],
        JobAttemptStarted: { actions: 'recordAttempt' },
        JobDeadLettered: { target: 'failed', actions: 'recordError' },
        JobRejected: { target: 'rejected', actions: 'recordError' },
        JobClassified: { target: 'classified', actions: 'recordResult' },
      },
    },
    classified: {
      entry: {
        type: 'reportResult',
        params: ({ context }) => ({ jobId: context.jobId, label: context.label!, top5: context.top5! }),
      },
      on: {
        JobReported: { target: 'reported', actions: assign({ reportedAt: ({ event }) => event.at }) },
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
