import { createHash, timingSafeEqual } from 'node:crypto';
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
import type { Ledger } from '../../composition/open-ledger.ts';
import { ProblemError } from '../problems.ts';

declare module 'fastify' {
  interface FastifyInstance {
    metrics: { appendedEvents: Counter };
  }
}

/** The answers an operator watches for: credentials refused, forbidden, rate limited. */
const REFUSALS = ['401', '403', '429'];
/** The route whose answer is the last verify outcome (GET, so `ok` is in the JSON answer). */
const VERIFY_ROUTE = '/v1/ledger/verify';

/**
 * Prometheus metrics at /metrics, for the holder of the metrics token only (it shows request
 * volumes and refusals): request latency, refusals, appended events, projection lag, tree size,
 * the integrity alarm, the last checkpoint and the last verify outcome.
 */
export const metricsPlugin = fp(
  async (app: FastifyInstance, options: { token?: string | undefined }) => {
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
    const refusals = new Counter({
      name: 'ledger_http_refusals_total',
      help: 'Requests refused: 401 (no or a bad API key), 403 (role not allowed), 429 (rate limited)',
      labelNames: ['status'],
      registers: [registry],
    });
    for (const status of REFUSALS) refusals.inc({ status }, 0);
    ledgerGauges(registry, app.ledger);
    const lastVerify = verifyGauges(registry);
    app.decorate('metrics', { appendedEvents });
    app.addHook('onSend', (request, reply, payload, done) => {
      // Only a verify that ran: a refused request (401, 429, ...) says nothing of the ledger.
      if (
        request.routeOptions.url === VERIFY_ROUTE &&
        reply.statusCode === 200 &&
        typeof payload === 'string'
      )
        lastVerify(JSON.parse(payload).ok === true);
      done(null, payload);
    });
    app.addHook('onResponse', (request, reply, done) => {
      const status = String(reply.statusCode);
      if (REFUSALS.includes(status)) refusals.inc({ status });
      latency.observe(
        {
          method: request.method,
          route: request.routeOptions.url ?? 'unmatched',
          status: String(reply.statusCode),
        },
        reply.elapsedTime / 1000,
      );
      done();
    });
    app.get(
      '/metrics',
      { schema: { hide: true }, config: { rateLimit: false } },
      // The stores count into prom-client's default registry (esdb: skipped events, alarms).
      async (request, reply) => {
        checkToken(options.token, request.headers.authorization, reply);
        return reply
          .type(registry.contentType)
          .send(await Registry.merge([registry, storeMetrics]).metrics());
      },
    );
  },
  { name: 'metrics', fastify: '5.x', dependencies: ['errors', 'ledger'] },
);

/** Refuses (401 with a challenge) unless the request bears the configured metrics token. */
function checkToken(
  token: string | undefined,
  authorization: string | undefined,
  reply: { header(name: string, value: string): unknown },
): void {
  const sent = /^bearer +(\S+)$/i.exec(authorization ?? '')?.[1];
  const digest = (text: string) => createHash('sha256').update(text).digest();
  // Compared as digests: equal lengths for timingSafeEqual, and no early exit on the length.
  if (token !== undefined && sent !== undefined && timingSafeEqual(digest(sent), digest(token)))
    return;
  reply.header('www-authenticate', 'Bearer realm="compliance-ledger metrics"');
  throw new ProblemError(
    401,
    'unauthenticated',
    'Authentication required',
    token === undefined
      ? 'metrics are served only with a token, and LEDGER_METRICS_TOKEN is not set'
      : 'send the metrics token as "Authorization: Bearer <token>"',
  );
}

/**
 * The tree and its last signed checkpoint, read at each scrape. A checkpoint holds no time of
 * its own: its age is counted from the record time of the last event it covers, so it is at
 * least as old as that (the checkpoint was signed after that event was recorded).
 */
function ledgerGauges(registry: Registry, ledger: Ledger): void {
  const { store, checkpoints, alarm } = ledger;
  new Gauge({
    name: 'ledger_integrity_alarm',
    help: '1 when the ledger does not extend a checkpoint the server signed (it signs nothing then), else 0',
    registers: [registry],
    collect() {
      this.set(alarm.raised === null ? 0 : 1);
    },
  });
  const tree = store.merkle;
  if (!tree) return;
  new Gauge({
    name: 'ledger_tree_size',
    help: 'Events in the Merkle tree over the ledger',
    registers: [registry],
    async collect() {
      this.set(await tree.size());
    },
  });
  if (!checkpoints) return;
  new Gauge({
    name: 'ledger_checkpoint_tree_size',
    help: 'Tree size of the last signed checkpoint (0: none signed yet)',
    registers: [registry],
    async collect() {
      this.set((await checkpoints.lastKept())?.treeSize ?? 0);
    },
  });
  new Gauge({
    name: 'ledger_checkpoint_age_seconds',
    help: 'Seconds since the last event the last signed checkpoint covers was recorded (0: none signed)',
    registers: [registry],
    async collect() {
      const size = (await checkpoints.lastKept())?.treeSize ?? 0;
      if (size === 0) return this.set(0);
      const position = (await tree.positionOf?.(size - 1)) ?? size;
      const [event] = await store.readAll({ fromPosition: position, limit: 1 });
      this.set(event ? (Date.now() - Date.parse(event.metadata.recordedAt)) / 1000 : 0);
    },
  });
}

/** The last verify's outcome; NaN until one ran since the start, so an alert on 0 stays quiet. */
function verifyGauges(registry: Registry): (ok: boolean) => void {
  const ok = new Gauge({
    name: 'ledger_last_verify_ok',
    help: 'Outcome of the last GET /v1/ledger/verify: 1 ok, 0 not ok, NaN none since the start',
    registers: [registry],
  });
  const at = new Gauge({
    name: 'ledger_last_verify_timestamp_seconds',
    help: 'When the last GET /v1/ledger/verify answered (Unix time; 0: none since the start)',
    registers: [registry],
  });
  ok.set(Number.NaN);
  return (outcome) => {
    ok.set(outcome ? 1 : 0);
    at.set(Date.now() / 1000);
  };
}
