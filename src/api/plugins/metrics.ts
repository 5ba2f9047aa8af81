import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import {
  Counter,
  collectDefaultMetrics,
  Gauge,
  Histogram,
  Registry,
  register as storeMetrics,
} from 'prom-client';

declare module 'fastify' {
  interface FastifyInstance {
    metrics: { appendedEvents: Counter };
  }
}

/** Prometheus metrics at /metrics: request latency, appended events, projection lag. */
export const metricsPlugin = fp(
  async (app: FastifyInstance) => {
    const registry = new Registry();
    collectDefaultMetrics({ register: registry });
    const latency = new Histogram({
      name: 'ledger_http_request_duration_seconds',
      help: 'HTTP request latency by route and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    });
    const appendedEvents = new Counter({
      name: 'ledger_appended_events_total',
      help: 'Events appended to the ledger through the API',
      registers: [registry],
    });
    new Gauge({
      name: 'ledger_projection_lag_events',
      help: 'Events in the store not yet applied to the projections',
      registers: [registry],
      async collect() {
        const head = await app.ledger.store.headPosition();
        this.set(head - app.ledger.projections.position);
      },
    });
    app.decorate('metrics', { appendedEvents });
    app.addHook('onResponse', async (request, reply) => {
      latency.observe(
        {
          method: request.method,
          route: request.routeOptions.url ?? 'unmatched',
          status: String(reply.statusCode),
        },
        reply.elapsedTime / 1000,
      );
    });
    app.get(
      '/metrics',
      { schema: { hide: true }, config: { rateLimit: false } },
      // The stores count into prom-client's default registry (esdb: skipped events, alarms).
      async (_request, reply) =>
        reply
          .type(registry.contentType)
          .send(await Registry.merge([registry, storeMetrics]).metrics()),
    );
  },
  { name: 'metrics', fastify: '5.x', dependencies: ['ledger'] },
);
