import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { toolVersion } from '../../reports/tool.ts';
import { problemResponses } from '../problems.ts';
import { describedResponses, operationIdOf, withoutUnusedSchemas } from './openapi-rules.ts';

type Transform = Parameters<typeof jsonSchemaTransform>[0];
type Responses = Record<string, unknown> | undefined;

/** OpenAPI 3.1 derived from the routes' zod schemas, at /openapi.json, with Swagger UI at /docs. */
export const openApiPlugin = fp(
  async (app: FastifyInstance) => {
    await app.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: {
          title: 'Compliance ledger',
          version: toolVersion().version,
          description:
            'Record regulator notices, TDP releases, shipments and program decisions; ask whether a program is authorized, until when and why, as known at any moment.',
        },
        // This document is served by the ledger it describes: its paths are on the same server.
        servers: [{ url: '/', description: 'the ledger serving this document' }],
        components: {
          securitySchemes: {
            apiKey: { type: 'http', scheme: 'bearer', description: 'An API key: lk_<id>_<secret>' },
          },
        },
      },
      // Every operation by the same rules (openapi-rules.ts), so a route added later gets them
      // too: an operationId, a description on each response, and, where a key is needed, the
      // security requirement and the 503 of a store that cannot be reached or written.
      transform: (input: Transform) => {
        const roles = (input.route.config as { roles?: readonly string[] } | undefined)?.roles;
        const schema = {
          ...input.schema,
          operationId: input.schema.operationId ?? operationIdOf(input.route.method, input.url),
          ...(roles && {
            response: { ...problemResponses(503), ...(input.schema.response as Responses) },
          }),
        };
        const transformed = wildcardAsParameter(jsonSchemaTransform({ ...input, schema }));
        return {
          ...transformed,
          schema: {
            ...transformed.schema,
            response: describedResponses(transformed.schema.response as Responses),
            security: roles ? [{ apiKey: [] }] : (transformed.schema.security ?? []),
          },
        };
      },
      transformObject: (input) => withoutUnusedSchemas(jsonSchemaTransformObject(input)),
    });
    // Swagger UI's own content security policy: its scripts and styles only, by hash.
    await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });
    app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  },
  { name: 'openapi', fastify: '5.x' },
);

/**
 * A wildcard route (`…/*`, the tlog-tiles paths) is documented with its tail as the path
 * parameter `path`: OpenAPI has no wildcard, and `*` is not a parameter name it accepts.
 */
function wildcardAsParameter(
  transformed: ReturnType<typeof jsonSchemaTransform>,
): ReturnType<typeof jsonSchemaTransform> {
  if (!transformed.url.endsWith('/*')) return transformed;
  const params = transformed.schema.params as
    | { properties?: Record<string, unknown>; required?: string[] }
    | undefined;
  const { '*': tail, ...others } = params?.properties ?? {};
  return {
    ...transformed,
    url: `${transformed.url.slice(0, -1)}{path}`,
    schema: {
      ...transformed.schema,
      params: { ...params, properties: { ...others, path: tail }, required: ['path'] },
    },
  };
}
