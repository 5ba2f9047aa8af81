import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { EntryTooLongError, parseTilePath, readTile, tileEnd } from '../../integrity/tlog-tiles.ts';
import { READERS } from '../plugins/auth.ts';
import { ProblemError, problemResponses } from '../problems.ts';
import { checkpointsOf, lastPublishedOf } from '../published-checkpoint.ts';

/** Where the log is readable as C2SP tlog-tiles (the spec's `<prefix>`), under /v1. */
export const TLOG_PREFIX = '/ledger/tlog';

const problems = problemResponses(400, 401, 403, 404, 429, 500, 501);

/**
 * The ledger as a C2SP tlog-tiles log (docs/design.md §7.6), for standard mirrors and
 * monitors, behind the same API keys as every read (entries are the supplier's records). The
 * tree served is the last checkpoint published (§7.4): a tile is there once that checkpoint covers it.
 */
async function tlogTiles(app: FastifyInstance) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const config = { roles: READERS };

  async function lastPublished() {
    const checkpoints = checkpointsOf(app, 'Tiles');
    const checkpoint = await lastPublishedOf(checkpoints);
    return { checkpoints, checkpoint };
  }

  r.get(
    `${TLOG_PREFIX}/checkpoint`,
    {
      config,
      schema: {
        tags: ['integrity'],
        summary:
          'tlog-tiles: the last checkpoint published, as the cosigned note (c2sp.org/tlog-tiles)',
        response: {
          200: { content: { 'text/plain': { schema: z.string() } } },
          ...problems,
        },
      },
    },
    async (_req, reply) => {
      const { checkpoint } = await lastPublished();
      return reply
        .type('text/plain; charset=utf-8')
        .header('cache-control', 'private, no-cache')
        .send(checkpoint.note);
    },
  );

  r.get(
    `${TLOG_PREFIX}/tile/*`,
    {
      config,
      schema: {
        tags: ['integrity'],
        summary:
          'tlog-tiles: a Merkle tile `tile/<L>/<N>[.p/<W>]` or an entry bundle `tile/entries/<N>[.p/<W>]`',
        description:
          'Tiles of 256 SHA-256 hashes (level 0: leaf hashes), entry bundles of uint16-length-prefixed leaf inputs (docs/merkle-leaf.md), as c2sp.org/tlog-tiles defines them; `<N>` in 3-digit path elements, all but the last prefixed with `x`. Served once the last checkpoint published covers them.',
        params: z.object({
          '*': z.string().describe('The tile path after `tile/`, e.g. `0/x001/234.p/17`'),
        }),
        response: {
          200: {
            content: {
              'application/octet-stream': {
                // Bytes, not JSON: described as binary, sent as a Buffer unserialized.
                schema: z.any().meta({ type: 'string', format: 'binary' }),
              },
            },
          },
          ...problems,
        },
      },
    },
    async (req, reply) => {
      const tile = parseTilePath(req.params['*']);
      if (tile === undefined)
        throw new ProblemError(
          404,
          'unknown-tile',
          'No such tile',
          `tile/${req.params['*']} is not a tile path of c2sp.org/tlog-tiles`,
        );
      const { checkpoints, checkpoint } = await lastPublished();
      if (tileEnd(tile) > checkpoint.treeSize)
        throw new ProblemError(
          404,
          'unknown-tile',
          'No such tile',
          `tile/${req.params['*']} is not covered by the last checkpoint (tree size ${checkpoint.treeSize})`,
        );
      let bytes: Buffer;
      try {
        bytes = await readTile(app.ledger.store, checkpoints.tree, tile, checkpoint.treeSize);
      } catch (error) {
        if (!(error instanceof EntryTooLongError)) throw error;
        throw new ProblemError(500, 'entry-too-long', 'Entry too long for a bundle', error.message);
      }
      return reply
        .type('application/octet-stream')
        .header('cache-control', 'private, max-age=31536000, immutable')
        .send(bytes);
    },
  );
}

export const tlogTileRoutes = fp(tlogTiles, {
  name: 'tlog-tile-routes',
  fastify: '5.x',
  dependencies: ['ledger', 'auth', 'rate-limit'],
  encapsulate: true,
});
