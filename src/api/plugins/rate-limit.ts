import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { ProblemError } from '../problems.ts';

/** Requests per minute per API key (per address for public routes), checked after authentication. */
export const rateLimitPlugin = fp(
  async (app: FastifyInstance, options: { perMinute: number }) => {
    await app.register(rateLimit, {
      max: options.perMinute,
      timeWindow: 60_000,
      hook: 'preHandler',
      keyGenerator: (request) =>
        request.principal ? `key:${request.principal.keyId}` : `ip:${request.ip}`,
      errorResponseBuilder: (_request, context) =>
        new ProblemError(
          429,
          'rate-limited',
          'Too many requests',
          `at most ${context.max} requests per minute per API key; retry in ${context.after}`,
        ),
    });
  },
  { name: 'rate-limit', fastify: '5.x', dependencies: ['auth'] },
);
