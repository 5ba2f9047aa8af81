import Fastify, { type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { Config } from '../config.ts';
import { type CalendarDate, todayIn } from '../domain/index.ts';
import { closeAfterAnswer, limitConnectionsPerAddress } from './connections-per-address.ts';
import { loggerOptions, OneLinePerRequest } from './log-format.ts';
import { alertsPlugin } from './plugins/alerts.ts';
import { authPlugin } from './plugins/auth.ts';
import { consolePlugin } from './plugins/console.ts';
import { errorsPlugin, frameworkErrorAsProblem } from './plugins/errors.ts';
import { heavyRequestsPlugin } from './plugins/heavy-requests.ts';
import { ledgerPlugin } from './plugins/ledger.ts';
import { metricsPlugin } from './plugins/metrics.ts';
import { openApiPlugin } from './plugins/openapi.ts';
import { rateLimitPlugin } from './plugins/rate-limit.ts';
import { REQUEST_ID_HEADER, requestIdOf } from './request-id.ts';
import { checkRoutes } from './routes/checks.ts';
import { commandRoutes } from './routes/commands.ts';
import { healthRoutes } from './routes/health.ts';
import { integrityRoutes } from './routes/integrity.ts';
import { peopleRoutes } from './routes/people.ts';
import { queryRoutes } from './routes/queries.ts';
import { receiptRoutes } from './routes/receipts.ts';
import { reportRoutes } from './routes/reports.ts';
import { sessionRoutes } from './routes/session.ts';
import { signatureRoutes } from './routes/signatures.ts';
import { subscriptionRoutes } from './routes/subscriptions.ts';
import { tlogTileRoutes } from './routes/tlog-tiles.ts';
import { refuseUnknownQueryParameters } from './schemas.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** Today in the office's time zone (LEDGER_TIME_ZONE): every default date of the API. */
    today(): CalendarDate;
  }
}

export interface AppOptions {
  /** The alert clock, ms since the epoch: "today" and when deliveries are due (tests inject one). */
  now?: () => number;
}

/** Refusals that answer before the body is read: their connection is not kept. */
const REFUSED = new Set([401, 403, 429]);

/** The HTTP API: each concern an encapsulated plugin, registered here in order. */
export async function buildApp(config: Config, options: AppOptions = {}): Promise<FastifyInstance> {
  const headersTimeout = Math.min(
    config.LEDGER_HEADERS_TIMEOUT_MS,
    config.LEDGER_REQUEST_TIMEOUT_MS,
  );
  const app = Fastify({
    logger: loggerOptions(config),
    logController: new OneLinePerRequest(),
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
  const now = options.now ?? Date.now;
  app.decorate('today', () => todayIn(config.LEDGER_TIME_ZONE, new Date(now())));
  limitConnectionsPerAddress(app.server, config.LEDGER_MAX_CONNECTIONS_PER_ADDRESS);
  // Hooks on every request take `done` rather than return a promise: one microtask less each.
  app.addHook('onSend', (_req, reply, payload, done) => {
    if (REFUSED.has(reply.statusCode)) reply.header('connection', 'close');
    done(null, payload);
  });
  app.addHook('onResponse', (req, reply, done) => {
    if (REFUSED.has(reply.statusCode)) closeAfterAnswer(req.raw.socket);
    done();
  });
  app.addHook('onRequest', (req, reply, done) => {
    reply.header(REQUEST_ID_HEADER, req.id);
    // No answer is sniffed into another type, nor framed by another page (clickjacking).
    reply.header('x-content-type-options', 'nosniff');
    reply.header('x-frame-options', 'DENY');
    done();
  });
  // The API speaks JSON only: without this, a text/plain body reaches validation as a string.
  app.removeContentTypeParser('text/plain');
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.addHook('onRoute', refuseUnknownQueryParameters);

  await app.register(errorsPlugin);
  await app.register(ledgerPlugin, { config });
  await app.register(alertsPlugin, { settings: config, now });
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
  await app.register(checkRoutes, { prefix: '/v1' });
  await app.register(integrityRoutes, { prefix: '/v1' });
  await app.register(receiptRoutes, { prefix: '/v1' });
  await app.register(tlogTileRoutes, { prefix: '/v1' });
  await app.register(reportRoutes, { prefix: '/v1' });
  await app.register(sessionRoutes, { prefix: '/v1' });
  await app.register(subscriptionRoutes, { prefix: '/v1' });
  await app.register(signatureRoutes, { prefix: '/v1' });
  await app.register(peopleRoutes, { prefix: '/v1' });
  await app.register(consolePlugin);
  await app.ready();
  return app;
}
