import { watch } from 'node:fs';
import { basename, dirname } from 'node:path';
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
  interface FastifyInstance {
    /** The credentials file: keys, and the people who sign (src/api/people.ts). */
    credentialsPath: string;
  }
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
 * Bearer API keys. The credentials file is read at start (a bad one stops the start, its
 * message naming the file) and again whenever it changes: a watch on its folder sees
 * `ledger keys` replace it (by rename, so a watch on the file itself would lose it), and a key
 * added or revoked takes effect without a restart and without a stat per request. A file that
 * turns missing or bad while running is logged and the last good keys stay in force.
 */
export const authPlugin = fp(
  async (app: FastifyInstance, options: { credentialsPath: string }) => {
    const path = options.credentialsPath;
    let keys: StoredKey[] = [];
    const reload = () => {
      try {
        keys = readCredentials(path);
        app.log.info({ keys: keys.length }, `credentials file ${path} read again`);
      } catch (error) {
        app.log.error(`${(error as Error).message}: the last good keys stay in force`);
      }
    };
    const watcher = watch(dirname(path), (_event, file) => {
      if (file === null || file === basename(path)) reload();
    });
    watcher.on('error', (error) =>
      app.log.error(
        `watching credentials file ${path} failed (${error.message}): keys stay as they are`,
      ),
    );
    // Watching before the first read, so no change between the two goes unseen.
    try {
      keys = readCredentials(path);
    } catch (error) {
      watcher.close();
      throw error;
    }
    app.addHook('onClose', async () => watcher.close());

    app.decorate('credentialsPath', path);
    app.decorateRequest('principal', null);
    // `done`, not a promise: one microtask less on every request (a throw still answers).
    app.addHook('onRequest', (request: FastifyRequest, reply, done) => {
      const roles = request.routeOptions.config.roles;
      if (!roles) return done();
      const header = request.headers.authorization;
      // The scheme name is case-insensitive (RFC 9110 §11.1).
      const key = /^bearer +(\S+)$/i.exec(header ?? '')?.[1] ?? null;
      const principal = key ? authenticate(keys, key) : null;
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
      done();
    });
  },
  { name: 'auth', fastify: '5.x', dependencies: ['errors'] },
);
