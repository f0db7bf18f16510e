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
import { tenantRoutes } from '../ims/tenants/routes';
import { customerRoutes } from '../oms/customers/routes';
import { orderRoutes } from '../oms/orders/routes';
import { uploadRoutes } from '../oms/uploads/routes';
import { deliveryRoutes, webhookRoutes } from '../oms/webhooks/routes';
import { eventRoutes } from '../events/routes';
import { authenticate } from './auth';
import { opsRoutes } from './ops-routes';
import { consoleRoutes } from '../console/routes';
import { errorHandler, languageOf, renderProblem } from './problem';
import { Problem } from './schemas';
import type { Api } from './types';
import { validatorCompiler } from './validation';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export async function buildApp(ctx: AppContext): Promise<Api> {
  const app = Fastify({
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
  }).withTypeProvider<TypeBoxTypeProvider>() as Api;

  app.decorateRequest('tenantId', '');
  app.setValidatorCompiler(validatorCompiler());
  app.setErrorHandler(errorHandler(ctx.config.maxBodyBytes));
  app.setNotFoundHandler((request, reply) => {
    const problem = renderProblem(languageOf(request), 404, 'route.not_found', {
      method: request.method,
      url: request.url.split('?')[0]!.slice(0, 200),
    });
    return reply.status(404).type('application/problem+json').send(problem);
  });

  // An empty body with a JSON content type means "no body" (curl -X POST -H 'content-type: …').
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') return done(null, undefined);
    return parseJson(request, text, done);
  });

  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const labels = { method: request.method, route };
    ctx.metrics.httpRequests.inc({ ...labels, status: String(reply.statusCode) });
    ctx.metrics.httpDuration.observe(labels, reply.elapsedTime / 1000);
  });

  app.addSchema(Problem);
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

  opsRoutes(app, ctx);
  await consoleRoutes(app);
  await app.register(async (api: Api) => {
    api.addHook('onRequest', authenticate(ctx));
    api.addHook('preHandler', ctx.idempotency.begin);
    api.addHook('onSend', ctx.idempotency.finish);
    tenantRoutes(api, ctx);
    catalogRoutes(api, ctx);
    stockRoutes(api, ctx);
    reservationRoutes(api, ctx);
    customerRoutes(api, ctx);
    orderRoutes(api, ctx);
    await uploadRoutes(api, ctx);
    webhookRoutes(api, ctx);
    deliveryRoutes(api, ctx);
    eventRoutes(api, ctx);
  });

  return app;
}
