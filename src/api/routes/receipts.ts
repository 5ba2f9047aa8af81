import type { FastifyInstance, FastifyReply } from 'fastify';
import fp from 'fastify-plugin';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { type AsKnownAt, CalendarDate, Slug } from '../../domain/index.ts';
import {
  type KeptCheckpoint,
  type LedgerCheckpoints,
  proveLeaf,
} from '../../integrity/ledger-checkpoints.ts';
import { signReceipt } from '../../integrity/receipt.ts';
import { receiptExtra } from '../../integrity/tlog-proof.ts';
import { READERS } from '../plugins/auth.ts';
import { notFound, problemResponses } from '../problems.ts';
import { checkpointsOf, lastPublishedOf } from '../published-checkpoint.ts';
import { AsKnownAtQuery, ProofFormat } from '../schemas.ts';
import { sendTlogProof } from './integrity.ts';

/** Events recorded after the checkpoint a receipt cites: answered, not yet signed. */
export const EVENTS_SINCE_HEADER = 'ledger-events-since-checkpoint';

const problems = problemResponses(400, 401, 403, 404, 429, 501);
const IdParams = z.object({ id: Slug });
const receiptResponse = {
  200: {
    description:
      "The receipt: a signed note (docs/receipts.md); keep it as it is. With format=tlog-proof, a C2SP tlog-proof bundle: the checkpoint it cites with the inclusion proof of that tree's last entry, the extra data being that entry's leaf input, a newline and the receipt. It carries the cited checkpoint's RFC 3161 timestamp token once the authority gave one. The Ledger-Events-Since-Checkpoint header counts the events recorded after the checkpoint it cites",
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
 * Signed answers: the status or timeline computed from the ledger cut at the last checkpoint
 * kept (asKnownAt further back still applies), signed with the checkpoint key together with the
 * query and that checkpoint's size and root. `ledger receipt verify` checks one offline. Reading
 * never signs a checkpoint: the header Ledger-Events-Since-Checkpoint says how far the ledger
 * grew past the one cited (the service signs the next on its cadence).
 */
async function receipt(app: FastifyInstance) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const config = { roles: READERS };

  async function signedCheckpoint() {
    const checkpoints = checkpointsOf(app, 'Receipts');
    const checkpoint = await lastPublishedOf(checkpoints);
    await app.ledger.projections.waitFor(checkpoint.treeSize);
    return { checkpoints, checkpoint };
  }

  /**
   * Sends a receipt, saying how many events were recorded after the checkpoint it cites; as a
   * tlog-proof bundle, with the inclusion of that tree's last entry, which binds the bundle's
   * signed checkpoint to the tree the receipt names.
   */
  async function send(
    reply: FastifyReply,
    checkpoints: LedgerCheckpoints,
    checkpoint: KeptCheckpoint,
    receipt: string,
    format: 'json' | 'tlog-proof' | undefined,
  ) {
    const since = (await app.ledger.store.headPosition()) - checkpoint.treeSize;
    reply.header(EVENTS_SINCE_HEADER, String(Math.max(0, since)));
    if (format !== 'tlog-proof') return reply.type('text/plain; charset=utf-8').send(receipt);
    const index = checkpoint.treeSize - 1;
    const leaf = await proveLeaf(app.ledger.store, checkpoints.tree, index, checkpoint.treeSize);
    return sendTlogProof(reply, 'receipt.tlog-proof', {
      extra: receiptExtra(leaf.leafInput, receipt),
      index,
      proof: leaf.proof,
      note: checkpoint.note,
    });
  }

  r.get(
    '/programs/:id/status/receipt',
    {
      config,
      schema: {
        tags: ['queries'],
        summary: 'The status as a signed receipt, computed at the last checkpoint kept',
        params: IdParams,
        querystring: z.object({
          at: CalendarDate.optional(),
          asKnownAt: AsKnownAtQuery,
          format: ProofFormat,
        }),
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
        await checkpoints.timestampOf(checkpoint),
      );
      return send(reply, checkpoints, checkpoint, receipt, req.query.format);
    },
  );

  r.get(
    '/programs/:id/timeline/receipt',
    {
      config,
      schema: {
        tags: ['queries'],
        summary: 'The timeline as a signed receipt, computed at the last checkpoint kept',
        params: IdParams,
        querystring: z.object({ asKnownAt: AsKnownAtQuery, format: ProofFormat }),
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
        await checkpoints.timestampOf(checkpoint),
      );
      return send(reply, checkpoints, checkpoint, receipt, req.query.format);
    },
  );
}

export const receiptRoutes = fp(receipt, {
  name: 'receipt-routes',
  fastify: '5.x',
  dependencies: ['ledger', 'auth', 'rate-limit'],
  encapsulate: true,
});
