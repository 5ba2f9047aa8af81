import Fastify, { type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { Config } from '../config.ts';
import { authPlugin } from './plugins/auth.ts';
import { consolePlugin } from './plugins/console.ts';
import { errorsPlugin, frameworkErrorAsProblem } from './plugins/errors.ts';
import { heavyRequestsPlugin } from './plugins/heavy-requests.ts';
import { ledgerPlugin } from './plugins/ledger.ts';
import { metricsPlugin } from './plugins/metrics.ts';
import { openApiPlugin } from './plugins/openapi.ts';
import { rateLimitPlugin } from './plugins/rate-limit.ts';
import { REQUEST_ID_HEADER, requestIdOf } from './request-id.ts';
import { commandRoutes } from './routes/commands.ts';
import { healthRoutes } from './routes/health.ts';
import { integrityRoutes } from './routes/integrity.ts';
import { peopleRoutes } from './routes/people.ts';
import { queryRoutes } from './routes/queries.ts';
import { receiptRoutes } from './routes/receipts.ts';
import { reportRoutes } from './routes/reports.ts';
import { sessionRoutes } from './routes/session.ts';
import { signatureRoutes } from './routes/signatures.ts';
import { refuseUnknownQueryParameters } from './schemas.ts';

/** The HTTP API: each concern an encapsulated plugin, registered here in order. */
export async function buildApp(config: Config): Promise<FastifyInstance> {
  const headersTimeout = Math.min(
    config.LEDGER_HEADERS_TIMEOUT_MS,
    config.LEDGER_REQUEST_TIMEOUT_MS,
  );
  const app = Fastify({
    logger: { level: config.LOG_LEVEL },
    bodyLimit: config.LEDGER_BODY_LIMIT,
    // Graceful shutdown: close() stops accepting, lets in-flight requests (appends) finish.
    forceCloseConnections: 'idle',
    return503OnClosing: true,
    frameworkErrors: frameworkErrorAsProblem,
    genReqId: requestIdOf,
    requestIdHeader: false,
    // A client that trickles its request is answered 408 and cut off (docs/design.md, "Limits").
    requestTimeout: config.LEDGER_REQUEST_TIMEOUT_MS,
    // Node checks both timeouts only this often (30 s by default): keep it within them.
    http: { headersTimeout, connectionsCheckingInterval: Math.min(1_000, headersTimeout) },
  });
  app.server.maxConnections = config.LEDGER_MAX_CONNECTIONS;
  app.addHook('onRequest', async (req, reply) => {
    reply.header(REQUEST_ID_HEADER, req.id);
  });
  // The API speaks JSON only: without this, a text/plain body reaches validation as a string.
  app.removeContentTypeParser('text/plain');
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.addHook('onRoute', refuseUnknownQueryParameters);

  await app.register(errorsPlugin);
  await app.register(ledgerPlugin, { config });
  // Before auth: its first hook counts every request against its address before any work.
  await app.register(rateLimitPlugin, {
    perAddress: config.LEDGER_ADDRESS_RATE_LIMIT,
    perKey: config.LEDGER_RATE_LIMIT,
  });
  await app.register(authPlugin, { credentialsPath: config.LEDGER_CREDENTIALS });
  await app.register(heavyRequestsPlugin, { perKey: config.LEDGER_HEAVY_PER_KEY });
  await app.register(metricsPlugin, { token: config.LEDGER_METRICS_TOKEN });
  await app.register(openApiPlugin);

  await app.register(healthRoutes);
  // The versioned API; /healthz, /readyz, /metrics and /docs stay unversioned.
  await app.register(commandRoutes, { prefix: '/v1' });
  await app.register(queryRoutes, { prefix: '/v1' });
  await app.register(integrityRoutes, { prefix: '/v1' });
  await app.register(receiptRoutes, { prefix: '/v1' });
  await app.register(reportRoutes, { prefix: '/v1' });
  await app.register(sessionRoutes, { prefix: '/v1' });
  await app.register(signatureRoutes, { prefix: '/v1' });
  await app.register(peopleRoutes, { prefix: '/v1' });
  await app.register(consolePlugin);
  await app.ready();
  return app;
}
