/**
 * The HTTP face of `compliance-ledger witness` (c2sp.org/tlog-witness): `POST /add-checkpoint`
 * and the monitoring read `GET /<origin hash>/checkpoint`. No authentication, as the spec
 * says: a request is only as good as the log signature on its checkpoint.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { LedgerWitness } from '../integrity/witness.ts';

/** A request holds a note and at most 63 hashes: a few KiB. */
const BODY_LIMIT = 64 * 1024;

export function buildWitnessApp(witness: LedgerWitness): FastifyInstance {
  const app = Fastify({ bodyLimit: BODY_LIMIT, logger: false });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));
  app.post('/add-checkpoint', async (req, reply) => {
    const answer = witness.addCheckpoint(typeof req.body === 'string' ? req.body : '');
    return reply.code(answer.status).type(answer.contentType).send(answer.body);
  });
  app.get<{ Params: { hash: string } }>('/:hash/checkpoint', async (req, reply) => {
    const note = witness.checkpoint(req.params.hash);
    if (note === undefined) return reply.code(404).type('text/plain').send('not witnessed\n');
    return reply.type('text/plain; charset=utf-8').send(note);
  });
  return app;
}
