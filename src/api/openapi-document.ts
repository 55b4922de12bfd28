import { z } from 'zod';
import { API_ROUTES, ApiRoute, RouteAnswer } from './openapi-routes';

type JsonSchema = Record<string, unknown>;

const COMPONENT = '#/components/schemas/';
/** Keys and how a request may carry one (see `src/security/key.guard.ts`). */
const SECURITY_SCHEMES = {
  bearer: { type: 'http', scheme: 'bearer', description: 'Authorization: Bearer <key>' },
  apiKeyHeader: { type: 'apiKey', in: 'header', name: 'X-Api-Key' },
  apiKeyQuery: {
    type: 'apiKey',
    in: 'query',
    name: 'key',
    description: "for a browser's navigation and EventSource, which send no headers",
  },
};
const WITH_A_KEY = Object.keys(SECURITY_SCHEMES).map((scheme) => ({ [scheme]: [] }));

/**
 * A schema as JSON Schema 2020-12 (what OpenAPI 3.1 takes): a reference to its component when it
 * has an id, else inline, with the named schemas inside it as references to their components.
 */
function jsonSchema(schema: z.ZodType, io: 'input' | 'output' = 'output'): JsonSchema {
  const id = z.globalRegistry.get(schema)?.id;
  if (id) return { $ref: `${COMPONENT}${id}` };
  const { $schema: _, $defs: _defs, ...inline } = z.toJSONSchema(schema, { io, unrepresentable: 'any' });
  return JSON.parse(JSON.stringify(inline).replaceAll('"#/$defs/', `"${COMPONENT}`)) as JsonSchema;
}

/** Every schema given an id with `.meta({ id })`, as the document's components. */
function components(): Record<string, JsonSchema> {
  const { schemas } = z.toJSONSchema(z.globalRegistry, { uri: (id) => `${COMPONENT}${id}` });
  return Object.fromEntries(
    Object.entries(schemas).map(([id, { $schema: _s, $id: _i, ...schema }]) => [id, schema]),
  );
}

const errorAnswer = (description: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: `${COMPONENT}Error` } } },
});

function answer(a: RouteAnswer) {
  const text = { schema: { type: 'string' } };
  if ('media' in a) return { description: a.description, content: { [a.media]: text } };
  const json = { 'application/json': { schema: jsonSchema(a.json) } };
  return { description: a.description, content: a.orText ? { 'text/plain': text, ...json } : json };
}

/** What a route answers: its own answers, then the refusals routes of its kind have. */
function responses(route: ApiRoute) {
  const refusals: Record<string, string> = {
    ...((route.query || route.params || route.upload) && {
      400: 'a malformed request (the message says what)',
    }),
    ...(route.access !== 'public' && {
      401: 'no valid key, when keys are configured',
      403: 'a key without the access this route needs',
    }),
    ...(route.method === 'post' && {
      403: 'a key without access, or a post from another site (cross_origin)',
    }),
    ...route.refusals,
  };
  const out: Record<string, unknown> = {};
  for (const [status, a] of Object.entries(route.answers)) out[status] = answer(a);
  for (const [status, description] of Object.entries(refusals)) out[status] ??= errorAnswer(description);
  return out;
}

function parameters(route: ApiRoute) {
  const query = Object.entries(route.query?.shape ?? {}).map(([name, schema]) => ({
    name,
    in: 'query',
    required: false,
    schema: jsonSchema(schema as z.ZodType, 'input'),
  }));
  const path = Object.entries(route.params ?? {}).map(([name, description]) => ({
    name,
    in: 'path',
    required: true,
    description,
    schema: { type: 'string' },
  }));
  const headers = Object.entries(route.headers ?? {}).map(([name, description]) => ({
    name,
    in: 'header',
    required: false,
    description,
    schema: { type: 'string' },
  }));
  return [...path, ...query, ...headers];
}

function requestBody(route: ApiRoute) {
  if (!route.upload) return undefined;
  const file = { type: 'string', contentMediaType: 'application/octet-stream', description: 'an image' };
  const { field, many, fields } = route.upload;
  const text = Object.entries(fields?.shape ?? {}).map(([name, schema]) => [
    name,
    jsonSchema(schema as z.ZodType, 'input'),
  ]);
  return {
    required: true,
    content: {
      'multipart/form-data': {
        schema: {
          type: 'object',
          required: [field],
          properties: { [field]: many ? { type: 'array', items: file } : file, ...Object.fromEntries(text) },
        },
      },
    },
  };
}

/** OpenAPI's `callbacks` of a route that calls back. */
function callbacks({ callback }: ApiRoute) {
  if (!callback) return undefined;
  const operation = {
    summary: callback.summary,
    parameters: Object.entries(callback.headers).map(([name, description]) => ({
      name,
      in: 'header',
      required: true,
      description,
      schema: { type: 'string' },
    })),
    requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(callback.json) } } },
    responses: {
      '2XX': { description: 'delivered' },
      default: { description: 'not delivered: tried again later, waiting twice as long each time' },
    },
  };
  return { [callback.name]: { [`{$request.body#/${callback.urlField}}`]: { post: operation } } };
}

/**
 * The service's OpenAPI 3.1 document, generated from {@link API_ROUTES} and the zod schemas the
 * handlers parse their queries with and infer their answers' types from.
 * @param version the service's version, for `info.version`.
 */
export function openApiDocument(version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of API_ROUTES) {
    const parameterList = parameters(route);
    const body = requestBody(route);
    const calls = callbacks(route);
    (paths[route.path] ??= {})[route.method] = {
      summary: route.summary,
      tags: [route.tag],
      operationId: `${route.method}${route.path.replace(/[^a-zA-Z0-9]+(.)?/g, (_, c?: string) => (c ?? '').toUpperCase())}`,
      security: route.access === 'public' ? [] : WITH_A_KEY,
      ...(parameterList.length > 0 && { parameters: parameterList }),
      ...(body && { requestBody: body }),
      responses: responses(route),
      ...(calls && { callbacks: calls }),
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Elastic image recognition',
      version,
      description:
        'Upload images, get ImageNet labels. Keys are needed only when the service is configured with them (see the README).',
    },
    tags: [
      { name: 'jobs', description: 'uploads and their jobs' },
      { name: 'fleet', description: 'the workers and the autoscaler (admin key)' },
      { name: 'operations', description: 'health and metrics' },
      { name: 'pages', description: 'the upload page' },
      { name: 'debug', description: 'the state-machine visualizer' },
      { name: 'docs', description: 'this document' },
    ],
    paths,
    components: { schemas: components(), securitySchemes: SECURITY_SCHEMES },
  };
}
