/**
 * The one error handler: every failure leaves as RFC 9457 problem+json in the caller's
 * language. Anything unexpected is logged with its stack and answered as a plain 500 that
 * names only the request id: never a stack trace, SQL text or a secret.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { pgErrorOf, PG_UNIQUE_VIOLATION } from '../db/handle';
import { unavailableDependency, type Dependency } from '../shared/dependency';
import { AppError, type FieldError } from '../shared/errors';
import { isMessageCode, pickLanguage, translate, type Language, type MessageCode } from '../shared/messages';
import { ajvToFieldErrors } from './validation';

export interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  errors?: { field: string; message: string; value?: string }[];
  instance?: string;
  [extension: string]: unknown;
}

export function languageOf(request: FastifyRequest): Language {
  return pickLanguage(request.headers['accept-language']);
}

export function renderProblem(
  language: Language,
  status: number,
  code: MessageCode,
  params: Record<string, string | number> = {},
  errors: FieldError[] = [],
  extensions: Record<string, unknown> = {},
): ProblemDocument {
  const titleCode = `title.${status}`;
  const problem: ProblemDocument = {
    ...extensions,
    type: `/problems/${code}`,
    title: translate(isMessageCode(titleCode) ? titleCode : 'title.500', language),
    status,
    detail: translate(code, language, params),
    code,
  };
  if (errors.length > 0) {
    problem.errors = errors.map((e) => ({
      field: e.field,
      message: translate(e.code, language, e.params),
      ...(e.value !== undefined ? { value: e.value } : {}),
    }));
  }
  return problem;
}

/** Fastify's own client errors, by their error code. */
function fromFastifyError(
  error: FastifyError,
  request: FastifyRequest,
  bodyLimit: number,
): { status: number; code: MessageCode; params: Record<string, string | number> } | undefined {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { status: 413, code: 'request.too_large', params: { limit: bodyLimit } };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return {
        status: 415,
        code: 'request.unsupported_media_type',
        params: { type: String(request.headers['content-type'] ?? 'none').slice(0, 100) },
      };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return { status: 400, code: 'request.malformed_json', params: {} };
    default:
      // busboy (under @fastify/multipart) when a multipart body stops before its closing boundary.
      if (/^Unexpected end of (form|multipart data)$/.test(error.message)) return { status: 400, code: 'request.incomplete_body', params: {} };
      if (error instanceof SyntaxError && error.statusCode === 400) {
        return { status: 400, code: 'request.malformed_json', params: {} };
      }
      return undefined;
  }
}

/** Seconds a client is told to wait (Retry-After) when a dependency is away. */
export const DEPENDENCY_RETRY_AFTER_SECONDS = 5;

/** The 503 for a dependency that is away, with its Retry-After header set on `reply`. */
export function dependencyProblem(request: FastifyRequest, reply: FastifyReply, dependency: Dependency): ProblemDocument {
  reply.code(503).type('application/problem+json').header('retry-after', String(DEPENDENCY_RETRY_AFTER_SECONDS));
  return renderProblem(languageOf(request), 503, 'dependency.unavailable', { dependency, retry_after: DEPENDENCY_RETRY_AFTER_SECONDS }, [], { dependency });
}

export function errorHandler(bodyLimit: number) {
  return (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const language = languageOf(request);
    let problem: ProblemDocument;
    let known: ReturnType<typeof fromFastifyError>;
    let dependency: Dependency | undefined;

    if (error instanceof AppError) {
      problem = renderProblem(language, error.status, error.code, error.params, error.errors, error.extensions);
    } else if (error.validation) {
      problem = renderProblem(language, 422, 'validation.failed', {}, ajvToFieldErrors(error.validation as never));
    } else if ((known = fromFastifyError(error, request, bodyLimit))) {
      problem = renderProblem(language, known.status, known.code, known.params);
    } else if (pgErrorOf(error)?.code === PG_UNIQUE_VIOLATION) {
      problem = renderProblem(language, 409, 'resource.duplicate');
    } else if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
      problem = renderProblem(language, error.statusCode, 'request.bad');
    } else if ((dependency = unavailableDependency(error))) {
      request.log.warn({ dependency, error: error.message }, 'a dependency is unavailable: answered 503');
      return reply.send(dependencyProblem(request, reply, dependency));
    } else {
      request.log.error({ err: error }, 'unhandled error');
      problem = renderProblem(language, 500, 'server.error', { request_id: request.id });
    }

    if (problem.status === 401) reply.header('www-authenticate', 'Bearer');
    // A 429 says when to come back, unless whoever refused has said so already.
    if (problem.status === 429 && !reply.hasHeader('retry-after'))
      reply.header('retry-after', String(typeof problem.retry_after_seconds === 'number' ? problem.retry_after_seconds : 1));
    return reply.status(problem.status).type('application/problem+json').send(problem);
  };
}
