import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { ProblemError } from '../problems.ts';

/** The folder holding package.json, from the sources (src/) or from the build (dist/src/). */
function packageRoot(): string {
  let folder = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(folder, 'package.json'))) {
    const parent = dirname(folder);
    if (parent === folder) throw new Error('no package.json above the console plugin');
    folder = parent;
  }
  return folder;
}

/**
 * Where `npm run build` (run by `npm install` through `prepare`) writes the console: inside the
 * build output, so a production install (`npm ci --omit=dev` beside dist/) serves it.
 */
export const CONSOLE_DIST = join(packageRoot(), 'dist', 'console');

/**
 * The compliance console at /console/: static files only, built with the service. It reads the
 * public API with the user's own key, so this plugin needs no route of its own beyond the files.
 */
export const consolePlugin = fp(
  async (app: FastifyInstance) => {
    // Every script and style is a file of the build: nothing inline, nothing from elsewhere.
    const headers = {
      'content-security-policy':
        "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
      'referrer-policy': 'no-referrer',
      'x-content-type-options': 'nosniff',
    };
    app.get('/console', { schema: { hide: true } }, (_req, reply) => reply.redirect('/console/'));
    if (!existsSync(CONSOLE_DIST)) {
      app.get('/console/*', { schema: { hide: true } }, async () => {
        throw new ProblemError(
          503,
          'console-not-built',
          'The console is not built',
          'run npm run build (npm install runs it) and restart',
        );
      });
      return;
    }
    await app.register(fastifyStatic, {
      root: CONSOLE_DIST,
      prefix: '/console/',
      decorateReply: false,
      schemaHide: true,
      setHeaders: (reply) => reply.headers(headers),
    });
  },
  { name: 'console', fastify: '5.x' },
);
