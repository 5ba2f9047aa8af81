import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import {
  hasZodFastifySchemaValidationErrors,
  type ZodFastifySchemaValidationError,
} from 'fastify-type-provider-zod';
import { isAnsweredError, type Problem, problemType } from '../problems.ts';

/** Turns every error into RFC 9457 problem+json; nothing internal (stack, message) leaves a 500. */
export const errorsPlugin = fp(
  async (app: FastifyInstance) => {
    app.setNotFoundHandler((request, reply) =>
      send(reply, {
        type: problemType('not-found'),
        title: 'Not found',
        status: 404,
        detail: `no route ${request.method} ${request.url.split('?')[0]}`,
        instance: request.url.split('?')[0],
      }),
    );
    app.setErrorHandler((error: FastifyError, request, reply) => {
      const problem = toProblem(error);
      if (problem.status >= 500) request.log.error({ err: error }, 'request failed');
      if (problem.status === 429 && !reply.hasHeader('retry-after'))
        reply.header('retry-after', '60');
      if (isAnsweredError(error) && error.retryAfterSeconds !== undefined)
        reply.header('retry-after', String(error.retryAfterSeconds));
      return send(reply, { ...problem, instance: request.url.split('?')[0] });
    });
  },
  { name: 'errors', fastify: '5.x' },
);

/**
 * Errors the router raises before any route or hook runs (a bad %-escape, an over-long path
 * parameter): fastify hands them only to the `frameworkErrors` option of its constructor.
 */
export function frameworkErrorAsProblem(
  error: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
) {
  const problem = toProblem(error);
  return send(reply, { ...problem, instance: request.url.split('?')[0] });
}

function send(reply: FastifyReply, problem: Problem) {
  return reply.code(problem.status).type('application/problem+json').send(problem);
}

function toProblem(error: FastifyError): Problem {
  if (isAnsweredError(error))
    return {
      type: problemType(error.problemType),
      title: error.problemTitle,
      status: error.problemStatus,
      detail: error.problemDetail ?? error.message,
      ...error.problemExtra,
    };
  if (hasZodFastifySchemaValidationErrors(error)) {
    const { shown, count } = boundedValidationErrors(error.validation, error.validationContext);
    const more = count > shown.length ? `; and ${count - shown.length} more` : '';
    return {
      type: problemType('validation'),
      title: 'Request is not valid',
      status: 400,
      detail: `${shown.map((e) => `${e.path}: ${e.message}`).join('; ')}${more}`,
      errors: shown,
      errorCount: count,
    };
  }
  return fastifyProblem(error);
}

/** A validation answer names at most this many bad fields; `errorCount` says how many there were. */
const ERRORS_SHOWN = 20;
/** A client's own field name is quoted up to this length, so it cannot bloat the answer. */
const NAME_SHOWN = 64;

/**
 * The first ERRORS_SHOWN bad fields and how many there are, without building the rest: one
 * body with 120k unknown fields is one issue listing 120k keys.
 */
function boundedValidationErrors(
  issues: readonly ZodFastifySchemaValidationError[],
  context = 'request',
) {
  const unknown =
    context === 'querystring' ? 'is not a known query parameter' : 'is not a known field';
  const shown: { path: string; message: string }[] = [];
  let count = 0;
  for (const issue of issues) {
    // instancePath is "/" for the body itself, "/terms/0/kind" for a nested field.
    const path = `${context}${issue.instancePath.replace(/\/$/, '').replaceAll('/', '.')}`;
    // An unknown field is reported on its parent object: name each field itself.
    const keys = issue.keyword === 'unrecognized_keys' ? issue.params.keys : undefined;
    const names = Array.isArray(keys) ? keys : null;
    count += names ? names.length : 1;
    const room = ERRORS_SHOWN - shown.length;
    if (room <= 0) continue;
    if (!names) shown.push({ path, message: issue.message ?? 'is invalid' });
    else
      for (const name of names.slice(0, room))
        shown.push({ path: `${path}.${shorten(String(name))}`, message: unknown });
  }
  return { shown, count };
}

const shorten = (name: string) =>
  name.length > NAME_SHOWN ? `${name.slice(0, NAME_SHOWN)}…` : name;

/** Fastify's own client errors (bad JSON, body too large, wrong media type, rate limit). */
function fastifyProblem(error: FastifyError): Problem {
  const status = error.statusCode ?? 500;
  if (status >= 500)
    return {
      type: problemType('internal'),
      title: 'Internal error',
      status: 500,
      detail: 'the server failed to answer; the error is logged',
    };
  const known: Record<string, [string, string]> = {
    FST_ERR_CTP_BODY_TOO_LARGE: ['body-too-large', 'Request body too large'],
    FST_ERR_CTP_INVALID_MEDIA_TYPE: ['unsupported-media-type', 'Unsupported media type'],
    FST_ERR_CTP_EMPTY_JSON_BODY: ['malformed-body', 'Request body is not valid JSON'],
    FST_ERR_CTP_INVALID_JSON_BODY: ['malformed-body', 'Request body is not valid JSON'],
    FST_ERR_RATE_LIMITED: ['rate-limited', 'Too many requests'],
  };
  const [name, title] =
    known[error.code] ??
    (status === 429
      ? ['rate-limited', 'Too many requests']
      : status === 400
        ? ['malformed-request', 'Malformed request']
        : ['client-error', 'Request refused']);
  return { type: problemType(name), title, status, detail: error.message };
}
