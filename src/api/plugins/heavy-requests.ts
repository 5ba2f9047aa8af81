import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { ProblemError } from '../problems.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route reads the whole ledger (or a whole program): capped per API key in flight. */
    heavy?: boolean;
  }
}

/**
 * At most `perKey` heavy requests (routes with `config.heavy`) in flight per API key; one more is
 * refused 429 `too-many-heavy-requests` with Retry-After: 1, so one auditor cannot queue the
 * whole ledger's work many times over. A slot is held until the response is written or the
 * connection closes, whichever comes first.
 */
export const heavyRequestsPlugin = fp(
  async (app: FastifyInstance, options: { perKey: number }) => {
    const inFlight = new Map<string, number>();

    const release = (keyId: string) => {
      const left = (inFlight.get(keyId) ?? 1) - 1;
      if (left === 0) inFlight.delete(keyId);
      else inFlight.set(keyId, left);
    };

    app.addHook('preHandler', (request: FastifyRequest, reply: FastifyReply, done) => {
      const keyId = request.principal?.keyId;
      if (!request.routeOptions.config.heavy || keyId === undefined) return done();
      const held = inFlight.get(keyId) ?? 0;
      if (held >= options.perKey) {
        reply.header('retry-after', '1');
        throw new ProblemError(
          429,
          'too-many-heavy-requests',
          'Too many heavy requests',
          `at most ${options.perKey} whole-ledger requests in flight per API key; retry when one has been answered`,
        );
      }
      inFlight.set(keyId, held + 1);
      reply.raw.once('close', () => release(keyId));
      done();
    });
  },
  { name: 'heavy-requests', fastify: '5.x', dependencies: ['auth'] },
);
