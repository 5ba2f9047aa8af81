import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';

/** OpenAPI 3.1 derived from the routes' zod schemas, at /openapi.json, with Swagger UI at /docs. */
export const openApiPlugin = fp(
  async (app: FastifyInstance) => {
    await app.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: {
          title: 'Compliance ledger',
          version: '1.0.0',
          description:
            'Record regulator notices, TDP releases, shipments and program decisions; ask whether a program is authorized, until when and why, as known at any moment.',
        },
        components: {
          securitySchemes: {
            apiKey: { type: 'http', scheme: 'bearer', description: 'An API key: lk_<id>_<secret>' },
          },
        },
      },
      // Routes that need a key say so, so generated clients send it.
      transform: (input) => {
        const transformed = jsonSchemaTransform(input);
        const roles = (input.route.config as { roles?: readonly string[] } | undefined)?.roles;
        return roles
          ? { ...transformed, schema: { ...transformed.schema, security: [{ apiKey: [] }] } }
          : transformed;
      },
      transformObject: jsonSchemaTransformObject,
    });
    // Swagger UI's own content security policy: its scripts and styles only, by hash.
    await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });
    app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  },
  { name: 'openapi', fastify: '5.x' },
);
