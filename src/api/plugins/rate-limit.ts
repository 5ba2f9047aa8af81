import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { ProblemError } from '../problems.ts';

type Counter = ReturnType<FastifyInstance['createRateLimit']>;

/**
 * Requests per minute, counted before the work they would cost: every request against its
 * address in the first `onRequest` hook (registered before auth, so 401, 403 and 404 answers
 * count), then a keyed one against its API key before its body is read and validated.
 */
export const rateLimitPlugin = fp(
  async (app: FastifyInstance, options: { perAddress: number; perKey: number }) => {
    await app.register(rateLimit, { global: false, timeWindow: 60_000 });
    const perAddress = app.createRateLimit({
      max: options.perAddress,
      keyGenerator: (request) => `ip:${request.ip}`,
    });
    const perKey = app.createRateLimit({
      max: options.perKey,
      keyGenerator: (request) => `key:${request.principal?.keyId}`,
    });
    app.addHook('onRequest', async (request, reply) => {
      // A liveness probe is never refused for its address's other traffic.
      if (request.routeOptions.url === '/healthz') return;
      await refuseOverLimit(perAddress, 'address', request, reply);
    });
    app.addHook('preParsing', async (request, reply) => {
      if (request.principal) await refuseOverLimit(perKey, 'API key', request, reply);
    });
  },
  { name: 'rate-limit', fastify: '5.x', dependencies: ['errors'] },
);

/** Counts the request; over the limit it is a 429 problem telling when to retry. */
async function refuseOverLimit(
  count: Counter,
  per: string,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<void> {
  const counted = await count(request);
  if (counted.isAllowed) return;
  reply.header('x-ratelimit-limit', counted.max);
  reply.header('x-ratelimit-remaining', counted.remaining);
  reply.header('x-ratelimit-reset', counted.ttlInSeconds);
  if (!counted.isExceeded) return;
  reply.header('retry-after', counted.ttlInSeconds);
  throw new ProblemError(
    429,
    'rate-limited',
    'Too many requests',
    `at most ${counted.max} requests per minute per ${per}; retry in ${counted.ttlInSeconds} s`,
  );
}
