import { z } from 'zod';
import { describeIssues } from '../common/zod-issues';

/**
 * The wire format between the control plane and the workers. Both directions are JSON in queue
 * messages; every message is validated on receipt, so a malformed one is refused with a reason
 * instead of crashing a consumer.
 */

/** Request queue: one job to classify. */
export const JobRequestSchema = z.object({
  v: z.literal(1),
  jobId: z.string().min(1),
  inputKey: z.string().min(1),
  fileName: z.string(),
  contentType: z.string(),
  /** Held by a worker that was lost: classify it alone, as a redelivered job is. */
  alone: z.literal(true).optional(),
});
export type JobRequest = z.infer<typeof JobRequestSchema>;

const PredictionSchema = z.object({ label: z.string(), probability: z.number() });

const fromWorker = {
  v: z.literal(1),
  workerId: z.string().min(1),
  /** Increases with every report of one worker process, so stale reports can be told apart. */
  seq: z.number().int().positive(),
  at: z.number(),
};

/** Response queue: what a worker reports, about itself or about a job. */
export const WorkerReportSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('workerStarted'), instanceId: z.string(), modelId: z.string(), ...fromWorker }),
  z.object({ kind: z.literal('heartbeat'), ...fromWorker }),
  /** The worker's first receive since its last job came back empty: it has nothing to do. */
  z.object({ kind: z.literal('queueEmpty'), ...fromWorker }),
  z.object({
    kind: z.literal('jobStarted'),
    jobId: z.string(),
    attempt: z.number().int().positive(),
    /** The request message's receipt handle, so that the control plane can release it if the worker dies. */
    receiptHandle: z.string().optional(),
    ...fromWorker,
  }),
  z.object({
    kind: z.literal('jobClassified'),
    jobId: z.string(),
    label: z.string(),
    top5: z.array(PredictionSchema),
    /** The worker's time per image in its batch, from receive to result. */
    serviceMs: z.number(),
    ...fromWorker,
  }),
  z.object({ kind: z.literal('jobRejected'), jobId: z.string(), reason: z.string(), ...fromWorker }),
  z.object({ kind: z.literal('jobFailed'), jobId: z.string(), reason: z.string(), ...fromWorker }),
  z.object({ kind: z.literal('workerStopping'), ...fromWorker }),
]);
export type WorkerReport = z.infer<typeof WorkerReportSchema>;

/** One response-queue message: a worker's reports in the order it made them (one message per batch of jobs). */
export const WorkerReportsSchema = z.object({ v: z.literal(1), reports: z.array(WorkerReportSchema).min(1) });
export type WorkerReports = z.infer<typeof WorkerReportsSchema>;

/** Most reports in one message; a batch of 10 jobs with their top-5 stays far below the 256 KiB limit. */
export const MAX_REPORTS_PER_MESSAGE = 50;

/** A message body that is not valid JSON of the expected shape. */
export class MalformedMessageError extends Error {}

/** Parses a message body with `schema`, or throws {@link MalformedMessageError} naming what is wrong. */
export function decodeMessage<T>(schema: z.ZodType<T>, body: string): T {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new MalformedMessageError(`not JSON: ${body.slice(0, 80)}`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new MalformedMessageError(describeIssues(parsed.error.issues, '; ', 'message'));
  return parsed.data;
}

/** Object-store keys of a job's input image and its result. */
export const objectKeys = {
  input: (jobId: string) => `inputs/${jobId}`,
  output: (jobId: string) => `outputs/${jobId}.json`,
};
