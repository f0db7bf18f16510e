/**
 * Builds the HTTP application: Fastify with strict validation, problem+json errors, request
 * ids, metrics, the OpenAPI document and Swagger UI, and the API routes behind authentication.
 */
import { randomUUID } from 'node:crypto';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger } from 'fastify';
import type { AppContext } from '../context';
import { catalogRoutes } from '../ims/catalog/routes';
import { reservationRoutes } from '../ims/reservations/routes';
import { stockRoutes } from '../ims/stock/routes';
import { holdRoutes } from '../ims/holds/routes';
import { tenantRoutes } from '../ims/tenants/routes';
import { customerRoutes } from '../oms/customers/routes';
import { orderRoutes } from '../oms/orders/routes';
import { fulfilmentRoutes } from '../oms/fulfilment/routes';
import { uploadRoutes } from '../oms/uploads/routes';
import { dispatchRoutes, webhookRoutes } from '../oms/webhooks/routes';
import { eventRoutes } from '../events/routes';
import { authenticate } from './auth';
import { AuthFailureGuard, TenantConcurrency } from './fairness';
import { assertJsonDepth, refuseNul } from './input-guards';
import { registerRateLimit } from './rate-limit';
import { opsRoutes } from './ops-routes';
import { consoleRoutes } from '../console/routes';
import { errorHandler, languageOf, renderProblem } from './problem';
import { Problem } from './schemas';
import { actingTenant, type Api } from './types';
import { validatorCompiler } from './validation';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export async function buildApp(ctx: AppContext): Promise<Api> {
  const app = createServer(ctx);
  app.decorateRequest('tenantId', '');
  app.decorateRequest('apiKey', '');
  app.setValidatorCompiler(validatorCompiler());
  app.setErrorHandler(errorHandler(ctx.config.maxBodyBytes));
  app.setNotFoundHandler((request, reply) => {
    const problem = renderProblem(languageOf(request), 404, 'route.not_found', {
      method: request.method,
      url: request.url.split('?')[0]!.slice(0, 200),
    });
    return reply.status(404).type('application/problem+json').send(problem);
  });
  acceptJson(app);
  app.addHook('preValidation', refuseNul);
  observe(app, ctx);

  app.addSchema(Problem);
  await registerOpenApi(app);
  opsRoutes(app, ctx);
  await consoleRoutes(app);
  await app.register(async (api: Api) => registerApi(api, ctx));
  return app;
}

function createServer(ctx: AppContext): Api {
  const { limits } = ctx.config;
  return Fastify({
    loggerInstance: ctx.logger as FastifyBaseLogger,
    bodyLimit: ctx.config.maxBodyBytes,
    // A caller's X-Request-Id is kept when it is safe to log; otherwise a new one is made.
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    ajv: { customOptions: { strict: false } },
    // Responses are never delayed by keep-alive sockets on shutdown.
    forceCloseConnections: 'idle',
    // A client that sends its request slowly (headers or body) or holds an idle connection
    // gives it up: a trickle of bytes cannot keep a socket forever.
    requestTimeout: limits.requestTimeoutSeconds * 1000,
    connectionTimeout: limits.idleTimeoutSeconds * 1000,
    keepAliveTimeout: limits.keepAliveSeconds * 1000,
    // Node checks request deadlines on this period (30 s by default): a second keeps them close.
    // (A headers deadline above the request deadline would make Node wait for the headers one.)
    http: { connectionsCheckingInterval: 1000, headersTimeout: Math.min(60_000, limits.requestTimeoutSeconds * 1000) },
  }).withTypeProvider<TypeBoxTypeProvider>() as Api;
}

/** JSON bodies, nested no deeper than input-guards allows; an empty body with a JSON content type means "no body" (curl -X POST -H 'content-type: …'). */
function acceptJson(app: Api): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') return done(null, undefined);
    try {
      assertJsonDepth(text);
    } catch (error) {
      return done(error as Error, undefined);
    }
    return parseJson(request, text, done);
  });
}

/** Every response names its request id, and is counted and timed per route. */
function observe(app: Api, ctx: AppContext): void {
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const labels = { method: request.method, route };
    ctx.metrics.httpRequests.inc({ ...labels, status: String(reply.statusCode) });
    ctx.metrics.httpDuration.observe(labels, reply.elapsedTime / 1000);
  });
}

async function registerOpenApi(app: Api): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'OMS + IMS',
        version: '0.1.0',
        description: 'Order management and inventory management. Errors are RFC 9457 problem+json.',
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'An API key' },
          apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
        },
      },
      security: [{ bearer: [] }, { apiKey: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
}

/** The API behind authentication, fair turns per tenant, rate limits and idempotency. */
async function registerApi(api: Api, ctx: AppContext): Promise<void> {
  const { limits } = ctx.config;
  const concurrency = new TenantConcurrency(limits.tenantConcurrentRequests, limits.tenantQueuedRequests);
  api.addHook('onRequest', authenticate(ctx, new AuthFailureGuard(limits.authFailuresMax)));
  // Each tenant's requests take turns (admin calls without a tenant count as one more tenant).
  api.addHook('onRequest', async (request, reply) => {
    const { access, grouped } = request.routeOptions.config;
    // A keyed request runs in a transaction of its own, outside the group's line: it takes a turn.
    const ownTransaction = request.method === 'POST' && request.headers['idempotency-key'] !== undefined;
    if (access === 'public' || (grouped && !ownTransaction)) return;
    await concurrency.acquire(actingTenant(request) ?? 'admin', reply);
  });
  await registerRateLimit(api, ctx);
  api.addHook('preHandler', ctx.idempotency.begin);
  api.addHook('preHandler', ctx.idempotency.enter);
  api.addHook('onSend', ctx.idempotency.finish);
  tenantRoutes(api, ctx);
  catalogRoutes(api, ctx);
  stockRoutes(api, ctx);
  reservationRoutes(api, ctx);
  holdRoutes(api, ctx);
  customerRoutes(api, ctx);
  orderRoutes(api, ctx);
  fulfilmentRoutes(api, ctx);
  await uploadRoutes(api, ctx);
  webhookRoutes(api, ctx);
  dispatchRoutes(api, ctx);
  eventRoutes(api, ctx);
}
