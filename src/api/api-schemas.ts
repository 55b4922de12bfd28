import { z } from 'zod';

/**
 * The shapes of the REST API's answers, as zod schemas: the TypeScript types the handlers return
 * are inferred from them, and the OpenAPI document (`openapi-document.ts`) is generated from them,
 * so the two cannot drift apart.
 */

const isoTime = z.string().describe('ISO 8601 time');

/** An error answer: `{ error, message }` (see the README's API section for the codes). */
export const ErrorBodySchema = z
  .object({
    error: z.string().describe('a stable code, such as invalid_request or job_not_found'),
    message: z.string().describe('the reason, for people'),
  })
  .meta({ id: 'Error' });

export const JOB_STATUSES = ['uploaded', 'queued', 'classified', 'reported', 'rejected', 'failed'] as const;
export const JobStatusSchema = z.enum(JOB_STATUSES);
export type JobStatus = z.infer<typeof JobStatusSchema>;

/** How the webhook of a job that ended is being delivered (see the webhooks section). */
export const WebhookDeliverySchema = z
  .object({
    status: z
      .enum(['delivering', 'waiting', 'delivered', 'abandoned'])
      .describe('an attempt under way; waiting to try again; delivered; given up after the last attempt'),
    attempts: z.number().int().describe('attempts made and answered, or timed out'),
    httpStatus: z.number().int().optional().describe("the receiver's answer to the last attempt"),
    error: z.string().optional().describe('why the last attempt failed'),
    deliveredAt: isoTime.optional(),
  })
  .meta({ id: 'WebhookDelivery' });
export type WebhookDelivery = z.infer<typeof WebhookDeliverySchema>;

/** A job as the API shows it. Times are ISO 8601. */
export const JobViewSchema = z
  .object({
    id: z.string(),
    fileName: z.string(),
    status: JobStatusSchema,
    topLabel: z.string().optional(),
    topProbability: z.number().optional(),
    attempts: z.number().int(),
    workerId: z.string().optional(),
    error: z.string().optional(),
    uploadedAt: isoTime,
    queuedAt: isoTime.optional(),
    classifiedAt: isoTime.optional(),
    reportedAt: isoTime.optional(),
    endedAt: isoTime.optional(),
    callbackUrl: z
      .string()
      .optional()
      .describe('where the service POSTs this view, signed, when the job ends (see the webhooks section)'),
    filesDeletedAt: isoTime
      .optional()
      .describe(
        "when the retention sweep deleted the job's input and output (RETENTION_DAYS after it ended)",
      ),
    webhook: WebhookDeliverySchema.optional().describe(
      "its callbackUrl's delivery, once the job ended (`GET /api/jobs/{id}` only; not in the POSTed view)",
    ),
  })
  .meta({ id: 'Job' });
export type JobView = z.infer<typeof JobViewSchema>;

export const JobPageSchema = z
  .object({
    items: z.array(JobViewSchema),
    total: z.number().int(),
    offset: z.number().int(),
    limit: z.number().int(),
    nextCursor: z.string().optional().describe('pass as `after` for the next page; absent on the last page'),
  })
  .meta({ id: 'JobPage' });
export type JobPage = z.infer<typeof JobPageSchema>;

/** One event of a job's stream, or of its webhook's, straight from the log. */
export const JobEventViewSchema = z
  .object({
    stream: z.enum(['job', 'webhook']).describe("the job's own stream, or its webhook's"),
    type: z.string(),
    version: z.number().int(),
    position: z.number().int(),
    recordedAt: isoTime,
    data: z.record(z.string(), z.unknown()),
  })
  .meta({ id: 'JobEvent' });
export type JobEventView = z.infer<typeof JobEventViewSchema>;

const PredictionSchema = z.object({ label: z.string(), probability: z.number() }).meta({ id: 'Prediction' });

/** What `POST /api/jobs` answers. */
export const SubmissionAnswerSchema = z
  .object({
    jobs: z.array(z.object({ id: z.string(), fileName: z.string() })),
    rejected: z.array(
      z.object({
        fileName: z.string(),
        error: z.string(),
        message: z.string(),
        httpStatus: z.number().int(),
      }),
    ),
  })
  .meta({ id: 'Submission' });
export type SubmissionAnswer = z.infer<typeof SubmissionAnswerSchema>;

/** What `POST /api/jobs` answers when it refused every file: the first refusal, and each. */
export const SubmissionRefusedSchema = ErrorBodySchema.extend({
  rejected: SubmissionAnswerSchema.shape.rejected,
}).meta({ id: 'SubmissionRefused' });
export type SubmissionRefused = z.infer<typeof SubmissionRefusedSchema>;

/** What `POST /` answers with `Accept: application/json`. */
export const ClassifyAnswerSchema = z
  .object({
    jobId: z.string(),
    status: z.literal('reported'),
    label: z.string(),
    top5: z.array(PredictionSchema),
  })
  .meta({ id: 'Classification' });
export type ClassifyAnswer = z.infer<typeof ClassifyAnswerSchema>;

export const WORKER_STATES = ['pending', 'running', 'idle', 'terminating', 'terminated', 'lost'] as const;
export type WorkerState = (typeof WORKER_STATES)[number];

/** A worker as the API shows it. Times are ISO 8601. */
export const WorkerViewSchema = z
  .object({
    id: z.string(),
    state: z.enum(WORKER_STATES),
    currentJobId: z.string().optional().describe('the oldest job in hand'),
    jobsInHand: z.array(z.string()).describe('every job in hand (a worker takes jobs in batches)'),
    instanceId: z.string().optional(),
    modelId: z.string().optional().describe('the model it loaded'),
    jobsDone: z.number().int(),
    launchReason: z.string(),
    stopReason: z.string().optional(),
    launchedAt: isoTime,
    startedAt: isoTime.optional(),
    lastSeenAt: isoTime,
    endedAt: isoTime.optional(),
  })
  .meta({ id: 'Worker' });
export type WorkerView = z.infer<typeof WorkerViewSchema>;

export const FleetSchema = z.object({ workers: z.array(WorkerViewSchema) }).meta({ id: 'Fleet' });

/** The scaling policy's settings (`state-machines/scaling-policy.ts`). */
export const ScalingSettingsSchema = z
  .object({
    minWorkers: z.number().int(),
    maxWorkers: z.number().int(),
    acceptableLatencyMs: z.number(),
    expectedBootMs: z.number(),
    defaultServiceTimeMs: z.number(),
    scaleInStabilisationMs: z.number(),
    maxScaleInPerStep: z.number().int(),
    billingMinimumMs: z.number().optional(),
  })
  .meta({ id: 'ScalingSettings' });

/** What the controller observed before a decision. */
export const ScalingInputsSchema = z
  .object({
    visible: z.number().int().describe('messages waiting in the request queue'),
    inFlight: z.number().int().describe('messages received and not yet deleted'),
    workers: z.object({
      pending: z.number().int(),
      running: z.number().int(),
      idle: z.number().int(),
      terminating: z.number().int(),
    }),
    idleWorkers: z.array(
      z.object({ id: z.string(), idleForMs: z.number(), launchedForMs: z.number().optional() }),
    ),
    pendingWorkers: z.array(z.object({ id: z.string(), ageMs: z.number() })),
    serviceTimeMs: z.number().optional(),
    arrivalsPerS: z.number().optional(),
  })
  .meta({ id: 'ScalingInputs' });

/** The autoscaler's state (`GET /api/controller`). */
export const ControllerStatusSchema = z
  .object({
    state: z.string().describe('steady, scalingOut, scalingIn, cooldown, or "not started"'),
    settings: ScalingSettingsSchema,
    cooldownMs: z.number().optional(),
    measuredServiceTimeMs: z.number().optional(),
    decisions: z.record(z.string(), z.number().int()).optional().describe('decisions by action'),
    failures: z.number().int(),
    lastFailure: z.object({ effect: z.string(), reason: z.string(), at: isoTime }).optional(),
  })
  .meta({ id: 'Controller' });
export type ControllerStatus = z.infer<typeof ControllerStatusSchema>;

/** One recorded scaling decision, with what it was made from. */
export const DecisionViewSchema = z
  .object({
    at: isoTime,
    position: z.number().int(),
    action: z.enum(['scaleOut', 'scaleIn', 'hold']),
    desired: z.number().int(),
    capacity: z.number().int(),
    launch: z.number().int(),
    terminate: z.array(z.string()),
    reason: z.string(),
    inputs: ScalingInputsSchema,
    derived: z.record(z.string(), z.number()).describe('the numbers the policy derived'),
    policy: z.string(),
    outcome: z
      .enum(['completed', 'failed', 'in progress'])
      .optional()
      .describe('what became of a scale-out or scale-in (with failure, the reason); holds have none'),
    failure: z.string().optional(),
  })
  .meta({ id: 'Decision' });

export type DecisionView = z.infer<typeof DecisionViewSchema>;

export const DecisionsSchema = z.object({ decisions: z.array(DecisionViewSchema) }).meta({ id: 'Decisions' });

/** Readiness (`GET /health`): each check, and whether all passed. */
export const HealthSchema = z
  .object({
    status: z.enum(['ok', 'unavailable']),
    /**
     * Whether this control plane leads (runs the effects, the autoscaler and the consumers) or
     * follows one that does; with one control plane per log, it leads.
     */
    role: z.enum(['leader', 'follower']),
    checks: z.record(z.string(), z.object({ ok: z.boolean(), detail: z.string() })),
  })
  .meta({ id: 'Health' });

export type Health = z.infer<typeof HealthSchema>;

export const LiveSchema = z.object({ status: z.literal('ok') }).meta({ id: 'Live' });
export type Live = z.infer<typeof LiveSchema>;
