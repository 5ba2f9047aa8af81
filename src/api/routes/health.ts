import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';

/** Liveness and readiness (the store answers and the projections have caught up). */
async function health(app: FastifyInstance) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get(
    '/healthz',
    {
      config: { rateLimit: false },
      schema: { tags: ['operations'], response: { 200: z.object({ status: z.literal('ok') }) } },
    },
    async () => ({ status: 'ok' as const }),
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
      schema: { tags: ['operations'], response: { 200: Readiness, 503: Readiness } },
    },
    async (_req, reply) => {
      const projectedPosition = app.ledger.projections.position;
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
