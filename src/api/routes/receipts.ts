import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { type AsKnownAt, CalendarDate, Slug } from '../../domain/index.ts';
import { signReceipt } from '../../integrity/receipt.ts';
import { READERS } from '../plugins/auth.ts';
import { notFound, ProblemError, problemResponses } from '../problems.ts';
import { AsKnownAtQuery } from '../schemas.ts';

const problems = problemResponses(400, 401, 403, 404, 429, 501);
const IdParams = z.object({ id: Slug });
const receiptResponse = {
  200: {
    description: 'The receipt: a signed note (docs/receipts.md); keep it as it is',
    content: { 'text/plain': { schema: z.string() } },
  },
  ...problems,
};

const asText = (asKnownAt: AsKnownAt | undefined) =>
  asKnownAt === undefined
    ? null
    : 'position' in asKnownAt
      ? String(asKnownAt.position)
      : asKnownAt.instant;

/**
 * Signed answers: the status or timeline computed from the ledger cut at the latest signed
 * checkpoint (asKnownAt further back still applies), signed with the checkpoint key together
 * with the query and that checkpoint's size and root. `ledger receipt verify` checks one offline.
 */
async function receipt(app: FastifyInstance) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const config = { roles: READERS };

  async function signedCheckpoint() {
    const checkpoints = app.ledger.checkpoints;
    if (checkpoints === null)
      throw new ProblemError(
        501,
        'integrity-unsupported',
        'Receipts not supported',
        'this store keeps no Merkle tree (esdb): receipts need a sqlite: or memory: store',
      );
    const checkpoint = await checkpoints.latest();
    await app.ledger.projections.waitFor(checkpoint.treeSize);
    return { checkpoints, checkpoint };
  }

  r.get(
    '/programs/:id/status/receipt',
    {
      config,
      schema: {
        tags: ['queries'],
        summary: 'The status as a signed receipt, computed at the latest signed checkpoint',
        params: IdParams,
        querystring: z.object({ at: CalendarDate.optional(), asKnownAt: AsKnownAtQuery }),
        response: receiptResponse,
      },
    },
    async (req, reply) => {
      const { at = app.today(), asKnownAt } = req.query;
      const { checkpoints, checkpoint } = await signedCheckpoint();
      const answer = app.ledger.queries.status(req.params.id, {
        at,
        ...(asKnownAt ? { asKnownAt } : {}),
        ledgerSize: checkpoint.treeSize,
      });
      if (!answer)
        throw notFound(
          `no program ${req.params.id} in the ledger of tree size ${checkpoint.treeSize}`,
        );
      const receipt = signReceipt(
        checkpoints.key,
        checkpoint,
        {
          kind: 'status',
          query: { programId: req.params.id, at, asKnownAt: asText(asKnownAt) },
          answer,
        },
        new Date().toISOString(),
      );
      return reply.type('text/plain; charset=utf-8').send(receipt);
    },
  );

  r.get(
    '/programs/:id/timeline/receipt',
    {
      config,
      schema: {
        tags: ['queries'],
        summary: 'The timeline as a signed receipt, computed at the latest signed checkpoint',
        params: IdParams,
        querystring: z.object({ asKnownAt: AsKnownAtQuery }),
        response: receiptResponse,
      },
    },
    async (req, reply) => {
      const { asKnownAt } = req.query;
      const { checkpoints, checkpoint } = await signedCheckpoint();
      const answer = app.ledger.queries.timeline(req.params.id, asKnownAt, checkpoint.treeSize);
      if (!answer)
        throw notFound(
          `no program ${req.params.id} in the ledger of tree size ${checkpoint.treeSize}`,
        );
      const receipt = signReceipt(
        checkpoints.key,
        checkpoint,
        {
          kind: 'timeline',
          query: { programId: req.params.id, at: null, asKnownAt: asText(asKnownAt) },
          answer,
        },
        new Date().toISOString(),
      );
      return reply.type('text/plain; charset=utf-8').send(receipt);
    },
  );
}

export const receiptRoutes = fp(receipt, {
  name: 'receipt-routes',
  fastify: '5.x',
  dependencies: ['ledger', 'auth', 'rate-limit'],
  encapsulate: true,
});
