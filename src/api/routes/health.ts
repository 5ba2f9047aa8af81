import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';

/**
 * Liveness (the store subscription is up, so a container whose subscription stays down is
 * restarted) and readiness (no integrity alarm, the store answers and the projections have
 * caught up). An integrity alarm leaves the process alive: restarting it would not restore the
 * ledger, and the operator needs it up to look.
 */
async function health(app: FastifyInstance) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const Live = z.object({ status: z.literal('ok') });
  const Down = z.object({ status: z.literal('subscription-down'), detail: z.string() });
  r.get(
    '/healthz',
    {
      config: { rateLimit: false },
      schema: {
        tags: ['operations'],
        summary: 'Is the service alive (its store subscription up)?',
        response: { 200: Live, 503: Down },
      },
    },
    async (_req, reply) => {
      const following = app.ledger.projections.following;
      if (following.up) return { status: 'ok' as const };
      return reply.code(503).send({
        status: 'subscription-down' as const,
        detail: `store subscription down after ${following.failures} failures, retrying: ${following.lastError}`,
      });
    },
  );
  const Readiness = z.object({
    ready: z.boolean(),
    headPosition: z.int().nullable(),
    projectedPosition: z.int(),
    detail: z.string(),
  });
  r.get(
    '/readyz',
    {
      config: { rateLimit: false },
      schema: {
        tags: ['operations'],
        summary: 'Is the service ready (store answering, read models caught up)?',
        response: { 200: Readiness, 503: Readiness },
      },
    },
    async (_req, reply) => {
      const projectedPosition = app.ledger.projections.position;
      const alarm = app.ledger.alarm.raised;
      if (alarm !== null)
        return reply.code(503).send({
          ready: false,
          headPosition: null,
          projectedPosition,
          detail: `integrity alarm: ${alarm}`,
        });
      const following = app.ledger.projections.following;
      if (!following.up)
        return reply.code(503).send({
          ready: false,
          headPosition: null,
          projectedPosition,
          detail: `store subscription down, retrying: ${following.lastError}`,
        });
      const health = app.ledger.store.health?.();
      if (health?.ok === false)
        return reply.code(503).send({
          ready: false,
          headPosition: null,
          projectedPosition,
          detail: health.detail,
        });
      try {
        const headPosition = await app.ledger.store.headPosition();
        const ready = projectedPosition >= headPosition;
        return reply.code(ready ? 200 : 503).send({
          ready,
          headPosition,
          projectedPosition,
          detail: ready
            ? 'store reachable, projections caught up'
            : `projections ${headPosition - projectedPosition} events behind`,
        });
      } catch (error) {
        return reply.code(503).send({
          ready: false,
          headPosition: null,
          projectedPosition,
          detail: `store unreachable: ${(error as Error).message}`,
        });
      }
    },
  );
}

/** Encapsulated, so app.ts can mount it under a prefix. */
export const healthRoutes = fp(health, {
  name: 'health-routes',
  fastify: '5.x',
  dependencies: ['ledger'],
  encapsulate: true,
});
