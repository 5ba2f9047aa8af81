import { statSync } from 'node:fs';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import {
  authenticate,
  type Principal,
  type Role,
  readCredentials,
  type StoredKey,
} from '../credentials.ts';
import { ProblemError } from '../problems.ts';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
  interface FastifyContextConfig {
    /** Roles allowed on the route; a route without it is public. */
    roles?: readonly Role[];
  }
}

export const READERS: readonly Role[] = ['auditor', 'recorder', 'admin'];
export const WRITERS: readonly Role[] = ['recorder', 'admin'];

/**
 * Bearer API keys. The credentials file is read again when it changes, so a key added or
 * revoked with `ledger keys` takes effect without a restart.
 */
export const authPlugin = fp(
  async (app: FastifyInstance, options: { credentialsPath: string }) => {
    let keys: StoredKey[] = [];
    let loadedVersion = '';
    const currentKeys = () => {
      const stat = statSync(options.credentialsPath);
      const version = `${stat.mtimeMs}:${stat.size}`;
      if (version !== loadedVersion) {
        keys = readCredentials(options.credentialsPath);
        loadedVersion = version;
      }
      return keys;
    };
    currentKeys();

    app.decorateRequest('principal', null);
    app.addHook('onRequest', async (request: FastifyRequest, reply) => {
      const roles = request.routeOptions.config.roles;
      if (!roles) return;
      const header = request.headers.authorization;
      // The scheme name is case-insensitive (RFC 9110 §11.1).
      const key = /^bearer +(\S+)$/i.exec(header ?? '')?.[1] ?? null;
      const principal = key ? authenticate(currentKeys(), key) : null;
      if (!principal) {
        reply.header('www-authenticate', 'Bearer realm="compliance-ledger"');
        throw new ProblemError(
          401,
          'unauthenticated',
          'Authentication required',
          key
            ? 'the API key is not valid or was revoked'
            : 'send an API key as "Authorization: Bearer <key>"',
        );
      }
      if (!roles.includes(principal.role))
        throw new ProblemError(
          403,
          'forbidden',
          'Not allowed',
          `role ${principal.role} may not ${request.method} ${request.routeOptions.url}; allowed: ${roles.join(', ')}`,
        );
      request.principal = principal;
    });
  },
  { name: 'auth', fastify: '5.x', dependencies: ['errors'] },
);
