import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { Role } from '../credentials.ts';
import { READERS } from '../plugins/auth.ts';
import { problemResponses } from '../problems.ts';

/** Who the key belongs to and its role, so a client (the console) shows only what it may do. */
async function session(app: FastifyInstance) {
  app.withTypeProvider<ZodTypeProvider>().get(
    '/me',
    {
      config: { roles: READERS },
      schema: {
        tags: ['queries'],
        summary: "The API key's name and role",
        response: {
          200: z.object({ name: z.string(), role: Role }).meta({ id: 'Principal' }),
          ...problemResponses(401, 429),
        },
      },
    },
    async (req) => {
      const { name, role } = req.principal ?? { name: 'anonymous', role: 'auditor' as const };
      return { name, role };
    },
  );
}

/** Encapsulated, so app.ts can mount it under a prefix. */
export const sessionRoutes = fp(session, {
  name: 'session-routes',
  fastify: '5.x',
  dependencies: ['auth', 'rate-limit'],
  encapsulate: true,
});
