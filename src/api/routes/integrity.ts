import type { FastifyInstance, FastifyReply } from 'fastify';
import fp from 'fastify-plugin';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  type KeptCheckpoint,
  type LedgerCheckpoints,
  noCheckpointOfSize,
  proveInclusion,
} from '../../integrity/ledger-checkpoints.ts';
import { type TlogProof, tlogProofText } from '../../integrity/tlog-proof.ts';
import { NextCursor, PageQuery, pageOf } from '../paging.ts';
import { READERS } from '../plugins/auth.ts';
import { notFound, ProblemError, problemResponses } from '../problems.ts';
import { checkpointsOf, lastPublishedOf } from '../published-checkpoint.ts';
import {
  CheckpointPublicKeyResponse,
  CheckpointResponse,
  ConsistencyProofResponse,
  InclusionProofResponse,
  ProofFormat,
} from '../schemas.ts';

const problems = problemResponses(400, 401, 403, 404, 409, 429, 500, 501);
const TreeSize = z.coerce.number().int().min(0);
const hex = (hash: Uint8Array) => Buffer.from(hash).toString('hex');

/**
 * Signed checkpoints and Merkle proofs (docs/design.md §7) for auditors. Every proof comes with
 * the signed checkpoint of its tree size, so a client takes size and root from one verified note.
 * Reading never signs: the service signs on its cadence (src/integrity/checkpoint-cadence.ts)
 * and when an admin POSTs.
 */
async function integrity(app: FastifyInstance) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const config = { roles: READERS };

  const kept = () => checkpointsOf(app, 'Checkpoints and proofs');
  const lastPublished = lastPublishedOf;

  /** A kept checkpoint of `treeSize`, never one signed for the asking. */
  const keptOfSize = async (checkpoints: LedgerCheckpoints, treeSize: number) =>
    (await checkpoints.all()).find((c) => c.treeSize === treeSize);

  async function ofSize(checkpoints: LedgerCheckpoints, treeSize: number): Promise<KeptCheckpoint> {
    const checkpoint = await keptOfSize(checkpoints, treeSize);
    if (checkpoint === undefined)
      throw new ProblemError(
        404,
        'unknown-checkpoint',
        'No such checkpoint',
        noCheckpointOfSize(treeSize),
      );
    return checkpoint;
  }

  r.get(
    '/ledger/checkpoint',
    {
      config,
      schema: {
        tags: ['integrity'],
        summary:
          "The last checkpoint published: signed (on a cadence, and when an admin asks) and cosigned by the witnesses' quorum",
        description: 'With `Accept: text/plain` the answer is the signed note alone.',
        response: {
          200: {
            content: {
              'application/json': { schema: CheckpointResponse },
              'text/plain': { schema: z.string() },
            },
          },
          ...problems,
        },
      },
    },
    async (req, reply) => {
      const checkpoints = kept();
      const checkpoint = await lastPublished(checkpoints);
      if (prefersText(req.headers.accept))
        return reply.type('text/plain; charset=utf-8').send(checkpoint.note);
      return checkpointBody(checkpoints, checkpoint);
    },
  );

  r.get(
    '/ledger/checkpoints',
    {
      config,
      schema: {
        tags: ['integrity'],
        summary: 'Every checkpoint signed, oldest first, a page at a time',
        querystring: z.object(PageQuery),
        response: {
          200: z.object({
            items: z.array(CheckpointResponse),
            next: NextCursor,
          }),
          ...problems,
        },
      },
    },
    async (req) => {
      const page = pageOf(
        'checkpoints',
        await kept().all(),
        (checkpoint) => [checkpoint.treeSize],
        req.query,
      );
      const checkpoints = kept();
      const items = await Promise.all(page.items.map((c) => checkpointBody(checkpoints, c)));
      return { items, next: page.next };
    },
  );

  r.post(
    '/ledger/checkpoints',
    {
      config: { roles: ['admin'] },
      schema: {
        tags: ['integrity'],
        summary:
          'Sign a checkpoint of the ledger now (admin); the last one when the tree did not grow',
        response: { 200: CheckpointResponse, ...problems },
      },
    },
    async () => {
      const checkpoints = kept();
      return checkpointBody(checkpoints, await checkpoints.latest());
    },
  );

  r.get(
    '/ledger/checkpoint/public-key',
    {
      config,
      schema: {
        tags: ['integrity'],
        summary: 'The key checkpoints are signed with; obtain it out of band too, to trust it',
        response: { 200: CheckpointPublicKeyResponse, ...problems },
      },
    },
    async () => {
      const { key } = kept();
      return {
        keyName: key.keyName,
        verifierKey: key.verifierKey,
        publicKeyPem: key.publicKeyPem,
      };
    },
  );

  r.get(
    '/ledger/proofs/inclusion',
    {
      config,
      schema: {
        tags: ['integrity'],
        summary: 'Proof that an event is in the ledger of a checkpoint',
        description:
          "With `format=tlog-proof` the answer is a C2SP tlog-proof bundle (c2sp.org/tlog-proof@v1, a `.tlog-proof` file): the extra data is the event's leaf input (docs/merkle-leaf.md), then the index, the audit path and the checkpoint note verbatim.",
        querystring: z.object({
          eventId: z.string().min(1).max(200),
          treeSize: TreeSize.optional().describe(
            'A checkpoint size (GET /v1/ledger/checkpoints); default: the last checkpoint signed',
          ),
          format: ProofFormat,
        }),
        response: {
          200: {
            description: 'The proof, as JSON or as a C2SP tlog-proof bundle',
            content: {
              'application/json': { schema: InclusionProofResponse },
              'text/plain': { schema: z.string() },
            },
          },
          ...problems,
        },
      },
    },
    async (req, reply) => {
      const { eventId, treeSize, format } = req.query;
      const checkpoints = kept();
      const answer = await proveInclusion(
        app.ledger.store,
        {
          tree: checkpoints.tree,
          latest: () => lastPublished(checkpoints),
          ofSize: (size) => keptOfSize(checkpoints, size),
        },
        eventId,
        treeSize,
      );
      if (!answer.ok) {
        if (answer.problem === 'unknown-event') throw notFound(answer.detail);
        const title =
          answer.problem === 'unknown-checkpoint'
            ? 'No such checkpoint'
            : 'Event not in that checkpoint';
        throw new ProblemError(404, answer.problem, title, answer.detail);
      }
      if (format === 'tlog-proof')
        return sendTlogProof(reply, `${eventId}.tlog-proof`, {
          extra: answer.leafInput,
          index: answer.leafIndex,
          proof: answer.proof,
          note: answer.checkpoint.note,
        });
      return {
        eventId,
        leafIndex: answer.leafIndex,
        treeSize: answer.checkpoint.treeSize,
        leafHash: hex(answer.leafHash),
        proof: answer.proof.map(hex),
        checkpoint: await checkpointBody(checkpoints, answer.checkpoint),
      };
    },
  );

  r.get(
    '/ledger/proofs/consistency',
    {
      config,
      schema: {
        tags: ['integrity'],
        summary:
          'Proof that the ledger of one checkpoint is the ledger of an earlier one plus appends',
        querystring: z.object({
          from: TreeSize.describe('The size of the earlier checkpoint, e.g. the one you trust'),
          to: TreeSize.optional().describe(
            'A later checkpoint size; default: the last checkpoint signed',
          ),
        }),
        response: { 200: ConsistencyProofResponse, ...problems },
      },
    },
    async (req) => {
      const checkpoints = kept();
      const { from, to } = req.query;
      if (to !== undefined && from > to)
        throw new ProblemError(
          400,
          'invalid-tree-sizes',
          'Tree sizes out of order',
          `from (${from}) is larger than to (${to})`,
        );
      const later =
        to === undefined ? await lastPublished(checkpoints) : await ofSize(checkpoints, to);
      const earlier = await ofSize(checkpoints, from);
      return {
        from: await checkpointBody(checkpoints, earlier),
        to: await checkpointBody(checkpoints, later),
        proof: (await checkpoints.tree.consistencyProof(earlier.treeSize, later.treeSize)).map(hex),
      };
    },
  );
}

/** A tlog-proof bundle, offered as a `.tlog-proof` file (the extension the spec advises). */
export function sendTlogProof(reply: FastifyReply, filename: string, bundle: TlogProof) {
  return reply
    .type('text/plain; charset=utf-8')
    .header('content-disposition', `attachment; filename="${filename.replace(/[^\w.-]/g, '_')}"`)
    .send(tlogProofText(bundle));
}

async function checkpointBody(
  checkpoints: LedgerCheckpoints,
  checkpoint: KeptCheckpoint,
): Promise<z.infer<typeof CheckpointResponse>> {
  const token = await checkpoints.timestampOf(checkpoint);
  return {
    origin: checkpoint.origin,
    treeSize: checkpoint.treeSize,
    rootHash: Buffer.from(checkpoint.rootHash).toString('base64'),
    rootHashHex: hex(checkpoint.rootHash),
    note: checkpoint.note,
    cosigners: [...checkpoint.cosigners],
    timestampToken: token === undefined ? null : Buffer.from(token).toString('base64'),
  };
}

/** Does the Accept header rank text/plain above application/json (RFC 9110 section 12.5.1)? */
function prefersText(accept: string | undefined): boolean {
  if (accept === undefined) return false;
  const ranges = accept.split(',').map((range) => {
    const [media = '', ...parameters] = range.toLowerCase().split(';');
    const q = parameters.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const quality = q === undefined ? 1 : Number(q.slice(2));
    return { media: media.trim(), quality: Number.isFinite(quality) ? quality : 0 };
  });
  // The most specific range that matches a type gives its quality.
  const quality = (type: string) => {
    const [main] = type.split('/');
    const range =
      ranges.find((r) => r.media === type) ??
      ranges.find((r) => r.media === `${main}/*`) ??
      ranges.find((r) => r.media === '*/*');
    return range?.quality ?? 0;
  };
  return quality('text/plain') > quality('application/json');
}

/** Encapsulated, so app.ts can mount it under a prefix. */
export const integrityRoutes = fp(integrity, {
  name: 'integrity-routes',
  fastify: '5.x',
  dependencies: ['ledger', 'auth', 'rate-limit'],
  encapsulate: true,
});
