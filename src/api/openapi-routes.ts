import { z } from 'zod';
import { actorsQuery, inspectQuery } from '../debug/debug.controller';
import { decisionsQuery } from '../fleet/autoscaler.controller';
import { fleetQuery } from '../fleet/fleet.controller';
import { streamQuery } from '../web/stream.controller';
import { listQuery } from '../jobs/jobs.controller';
import type { AccessLevel } from '../security/access';
import { submissionFields } from '../web/upload-routes';
import { SIGNATURE_HEADER } from '../webhooks/webhook-signature';
import { WEBHOOK_ATTEMPT_HEADER, WEBHOOK_ID_HEADER } from '../webhooks/webhook-effects';
import {
  ClassifyAnswerSchema,
  ControllerStatusSchema,
  DecisionsSchema,
  FleetSchema,
  HealthSchema,
  JobEventViewSchema,
  JobPageSchema,
  JobViewSchema,
  LiveSchema,
  SubmissionAnswerSchema,
  SubmissionRefusedSchema,
} from './api-schemas';

/** An answer of a route: JSON of a schema, or another media type described in words. */
export type RouteAnswer =
  /** `orText`: the same answer may come as text/plain instead (the course client's label). */
  { description: string; json: z.ZodType; orText?: true } | { description: string; media: string };

/** One route of the service, as the OpenAPI document describes it. */
export interface ApiRoute {
  method: 'get' | 'post';
  /** OpenAPI's form: `/api/jobs/{id}`. */
  path: string;
  summary: string;
  tag: 'jobs' | 'fleet' | 'operations' | 'pages' | 'debug' | 'docs';
  access: AccessLevel;
  /** The query's schema: the very one the handler parses the query with. */
  query?: z.ZodObject;
  /** Path parameters, by name, with what they are. */
  params?: Record<string, string>;
  /** Request headers the route reads, by name, with what they are. */
  headers?: Record<string, string>;
  /**
   * A multipart upload: the files' field, whether it takes several files, and the text fields'
   * schema (the very one the handler parses them with).
   */
  upload?: { field: string; many: boolean; fields?: z.ZodObject };
  /** A request the service makes back to a URL the client gave (OpenAPI's `callbacks`). */
  callback?: ApiCallback;
  answers: Record<number, RouteAnswer>;
  /** Refusals beyond those every route of its kind has (see `openapi-document.ts`), by status. */
  refusals?: Record<number, string>;
}

/** A webhook: POSTed to the URL in the request's body field `urlField`. */
export interface ApiCallback {
  name: string;
  urlField: string;
  summary: string;
  json: z.ZodType;
  /** The headers it carries, by name, with what they are. */
  headers: Record<string, string>;
}

const eventStream = (what: string): RouteAnswer => ({ description: what, media: 'text/event-stream' });
const asset = (media: string, what: string): RouteAnswer => ({ description: what, media });
/** The /debug page's own JSON: its shape is the page's business and may change with it. */
const debugJson = (what: string): RouteAnswer => ({
  description: `${what} (for the /debug page; the shape may change with it)`,
  json: z.record(z.string(), z.unknown()),
});

const UPLOAD_REFUSALS = {
  413: 'too many bytes, files or pixels',
  415: 'a file that is not an image, or in a format not taken',
  429: 'past the upload rate limit (Retry-After says when to try again)',
};

/** Every route the service serves. A test checks this list against the routes Nest registers. */
export const API_ROUTES: readonly ApiRoute[] = [
  {
    method: 'post',
    path: '/',
    summary: "Classify one image and wait for its label (the course client's contract)",
    tag: 'jobs',
    access: 'api',
    upload: { field: 'myfile', many: false },
    headers: { Accept: '`application/json` for the JSON answer; otherwise the label as text' },
    answers: {
      200: {
        description: 'the top-1 label as text/plain, or with Accept: application/json',
        json: ClassifyAnswerSchema,
        orText: true,
      },
    },
    refusals: {
      ...UPLOAD_REFUSALS,
      422: 'the job was rejected or failed (the reason says why)',
      503: 'too many requests are waiting for a label already (MAX_WAITING_CLASSIFY; Retry-After)',
      504: 'no label within RESULT_TIMEOUT_MS; the job stays queued',
    },
  },
  {
    method: 'post',
    path: '/api/jobs',
    summary: 'Upload images as jobs',
    tag: 'jobs',
    access: 'api',
    upload: { field: 'files', many: true, fields: submissionFields },
    headers: {
      'Idempotency-Key':
        "1–255 printable ASCII characters: a retry of the same files answers the first try's jobs and creates none",
    },
    callback: {
      name: 'jobEnded',
      urlField: 'callbackUrl',
      summary:
        "Each job's view when it ends (reported, rejected or failed); retried with backoff until a 2xx answer",
      json: JobViewSchema,
      headers: {
        [SIGNATURE_HEADER]:
          '`t=<Unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" with WEBHOOK_SECRET>`; refuse an old t',
        [WEBHOOK_ID_HEADER]: "the job's id, the same on every attempt: act on it once",
        [WEBHOOK_ATTEMPT_HEADER]: 'the attempt, from 1',
      },
    },
    answers: {
      202: {
        description: 'the accepted jobs, and each refused file with its reason',
        json: SubmissionAnswerSchema,
      },
      415: {
        description: "every file was refused: the first refusal's status (413 or 415), and each refusal",
        json: SubmissionRefusedSchema,
      },
    },
    refusals: {
      ...UPLOAD_REFUSALS,
      400: 'a malformed request, or a callbackUrl that is not an http(s) URL on a host in WEBHOOK_ALLOWED_HOSTS',
      422: 'the Idempotency-Key was used for other files (or another callbackUrl)',
    },
  },
  {
    method: 'get',
    path: '/api/jobs',
    summary: 'A page of jobs in upload order',
    tag: 'jobs',
    access: 'api',
    query: listQuery,
    answers: { 200: { description: 'the page', json: JobPageSchema } },
  },
  {
    method: 'get',
    path: '/api/jobs/{id}',
    summary: 'One job',
    tag: 'jobs',
    access: 'api',
    params: { id: "the job's id" },
    answers: { 200: { description: 'the job', json: JobViewSchema } },
    refusals: { 404: 'no such job' },
  },
  {
    method: 'get',
    path: '/api/jobs/{id}/events',
    summary: "The job's events, straight from the log",
    tag: 'jobs',
    access: 'api',
    params: { id: "the job's id" },
    answers: { 200: { description: 'its events, oldest first', json: z.array(JobEventViewSchema) } },
    refusals: { 404: 'no such job' },
  },
  {
    method: 'get',
    path: '/api/stream',
    summary: "Each job's view whenever it changes",
    tag: 'jobs',
    access: 'api',
    query: streamQuery,
    answers: { 200: eventStream('server-sent events named `job`, each a job (schema Job) as JSON') },
  },
  {
    method: 'get',
    path: '/api/fleet',
    summary: 'The workers',
    tag: 'fleet',
    access: 'admin',
    query: fleetQuery,
    answers: { 200: { description: 'workers with their state and jobs in hand', json: FleetSchema } },
  },
  {
    method: 'get',
    path: '/api/controller',
    summary: "The autoscaler's state and settings",
    tag: 'fleet',
    access: 'admin',
    answers: { 200: { description: 'the autoscaler', json: ControllerStatusSchema } },
  },
  {
    method: 'get',
    path: '/api/controller/decisions',
    summary: 'Recent scaling decisions, newest first',
    tag: 'fleet',
    access: 'admin',
    query: decisionsQuery,
    answers: { 200: { description: 'each decision with its inputs and reason', json: DecisionsSchema } },
  },
  {
    method: 'get',
    path: '/health',
    summary: 'Readiness: the event store, the request queue, the object store and a worker with the model',
    tag: 'operations',
    access: 'public',
    answers: {
      200: { description: 'ready', json: HealthSchema },
      503: { description: 'not ready: the failing check says why', json: HealthSchema },
    },
  },
  {
    method: 'get',
    path: '/health/live',
    summary: 'Liveness',
    tag: 'operations',
    access: 'public',
    answers: { 200: { description: 'alive', json: LiveSchema } },
  },
  {
    method: 'get',
    path: '/metrics',
    summary: 'Prometheus metrics (docs/metrics.md)',
    tag: 'operations',
    access: 'admin',
    answers: { 200: asset('text/plain; version=0.0.4', "Prometheus' text exposition format") },
  },
  {
    method: 'get',
    path: '/api/openapi.json',
    summary: 'This document',
    tag: 'docs',
    access: 'public',
    answers: { 200: { description: 'OpenAPI 3.1', json: z.record(z.string(), z.unknown()) } },
  },
  {
    method: 'get',
    path: '/api/docs',
    summary: 'This document as a page',
    tag: 'docs',
    access: 'public',
    answers: { 200: asset('text/html', 'the docs page') },
  },
  {
    method: 'get',
    path: '/api/docs/{asset}',
    summary: "The docs page's scripts and styles",
    tag: 'docs',
    access: 'public',
    params: { asset: 'swagger-ui-bundle.js, swagger-ui.css or docs.js' },
    answers: { 200: asset('text/javascript', 'the asset (text/css for the styles)') },
    refusals: { 404: 'no such asset' },
  },
  ...(
    [
      ['/', 'text/html', 'The upload page'],
      ['/app.js', 'text/javascript', "The upload page's script"],
      ['/api-key.js', 'text/javascript', "The upload page's key handling"],
      ['/app.css', 'text/css', "The upload page's styles"],
    ] as const
  ).map(([path, media, summary]): ApiRoute => ({
    method: 'get',
    path,
    summary,
    tag: 'pages',
    access: 'public',
    answers: { 200: asset(media, summary.toLowerCase()) },
  })),
  {
    method: 'get',
    path: '/debug',
    summary: 'The state-machine visualizer (its data needs the admin key)',
    tag: 'debug',
    access: 'public',
    answers: { 200: asset('text/html', 'the page') },
  },
  {
    method: 'get',
    path: '/debug/assets/mermaid.min.js',
    summary: 'Mermaid, which draws the statecharts',
    tag: 'debug',
    access: 'public',
    answers: { 200: asset('text/javascript', 'the script') },
  },
  {
    method: 'get',
    path: '/debug/{asset}',
    summary: "The visualizer's scripts and styles",
    tag: 'debug',
    access: 'public',
    params: { asset: 'the asset' },
    answers: { 200: asset('text/javascript', 'the asset (text/css for the styles)') },
    refusals: { 404: 'no such asset' },
  },
  {
    method: 'get',
    path: '/debug/api/statecharts',
    summary: "Each machine's statechart with live counts",
    tag: 'debug',
    access: 'admin',
    answers: { 200: debugJson('the statecharts') },
  },
  {
    method: 'get',
    path: '/debug/api/stream',
    summary: 'The statecharts now, then after each change',
    tag: 'debug',
    access: 'admin',
    answers: { 200: eventStream('server-sent events named `statecharts`') },
  },
  {
    method: 'get',
    path: '/debug/api/fleet',
    summary: 'Workers with state, current job and uptime',
    tag: 'debug',
    access: 'admin',
    answers: { 200: debugJson('the workers') },
  },
  {
    method: 'get',
    path: '/debug/api/series',
    summary: 'Backlog and fleet size over time, from the log',
    tag: 'debug',
    access: 'admin',
    answers: { 200: debugJson('the series') },
  },
  {
    method: 'get',
    path: '/debug/api/actors',
    summary: 'The newest actors of each kind',
    tag: 'debug',
    access: 'admin',
    query: actorsQuery,
    answers: { 200: debugJson('the actors') },
  },
  {
    method: 'get',
    path: '/debug/api/streams/{ref}',
    summary: 'A stream replayed to one of its events',
    tag: 'debug',
    access: 'admin',
    params: { ref: 'a stream id, or a bare job or worker id' },
    query: inspectQuery,
    answers: { 200: debugJson('the machine at that event, and the stream') },
    refusals: { 404: 'no such stream' },
  },
];
