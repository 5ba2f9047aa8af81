import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { commandHandler } from '../../commands/command-handler.ts';
import {
  type Decider,
  DomainError,
  type DomainEvent,
  EventId,
  MAX_SIGNED_EVENTS,
  Meaning,
  type SignEvents,
  signatureDecider,
  signatureOf,
  streams,
  Text,
} from '../../domain/index.ts';
import { checkPassphrase, PersonError, personOfKey } from '../people.ts';
import { READERS } from '../plugins/auth.ts';
import { notFound, ProblemError, problemResponses } from '../problems.ts';
import { CommandAccepted } from '../schemas.ts';

/**
 * The handler is typed for the aggregates' events; a signature is none of them (projections/facts.ts
 * skips it), so its decider is widened here, the one place it is handled.
 */
const handleSignature = commandHandler({
  decider: signatureDecider as unknown as Decider<SignEvents, DomainEvent, null>,
  streamOf: streams.signatures,
});

const SignRequest = z
  .object({
    eventIds: z.array(EventId).min(1).max(MAX_SIGNED_EVENTS),
    meaning: Meaning,
    comment: Text(2000).optional(),
    passphrase: z
      .string()
      .min(1)
      .max(1000)
      .describe('The signer’s signing passphrase: the second component, beside the API key'),
  })
  .strict();

/** What a PersonError is to a client: none of them records anything. */
export function personProblem(error: PersonError): ProblemError {
  const status = {
    unknown: 404,
    conflict: 409,
    locked: 423,
    'wrong-passphrase': 403,
    'no-passphrase': 409,
  }[error.reason];
  return new ProblemError(status, `person/${error.reason}`, 'Signature refused', error.message);
}

/**
 * `POST /v1/signatures` (docs/design.md "Signatures"): the API key names the person, the
 * passphrase proves it is them; the events are read from the ledger, so the signature records
 * the hashes they have, and it is recorded in the signer's stream like any command.
 */
async function signatures(app: FastifyInstance) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.post(
    '/signatures',
    {
      config: { roles: READERS },
      schema: {
        tags: ['commands'],
        summary: 'Sign events with a meaning (review, approval, responsibility, authorship)',
        body: SignRequest,
        response: {
          201: CommandAccepted,
          ...problemResponses(400, 401, 403, 404, 409, 413, 415, 422, 423, 429),
        },
      },
    },
    async (req, reply) => {
      const principal = req.principal;
      const person = principal ? personOfKey(app.credentialsPath, principal.keyId) : null;
      if (!principal || !person)
        throw new ProblemError(
          403,
          'person/not-registered',
          'Signature refused',
          'no person is registered for this API key: an admin registers signers (ledger people add)',
        );
      const { store, queries, projections } = app.ledger;
      const events = [];
      for (const eventId of req.body.eventIds) {
        const stream = queries.streamOf(eventId);
        const event = stream && (await store.readStream(stream)).find((e) => e.eventId === eventId);
        if (!event) throw notFound(`the ledger holds no event ${eventId}`);
        events.push({ eventId, stream: event.stream, type: event.type, hash: event.metadata.hash });
      }
      try {
        await checkPassphrase(app.credentialsPath, person.id, req.body.passphrase);
      } catch (error) {
        if (error instanceof PersonError) throw personProblem(error);
        throw error;
      }
      const signer = { personId: person.id, name: person.name, email: person.email };
      const data = signatureOf(
        signer,
        req.body.meaning,
        req.body.comment,
        events,
        new Date().toISOString(),
      );
      if (data instanceof DomainError) throw data;
      const command: SignEvents = { type: 'SignEvents', data };
      const result = await handleSignature(store, person.id, command, {
        recordedBy: principal.name,
        keyId: principal.keyId,
        correlationId: req.id,
      });
      app.metrics.appendedEvents.inc(result.events.length);
      await projections
        .waitFor(result.position)
        .catch(() => reply.header('ledger-read-models', 'behind'));
      return reply
        .code(201)
        .header('etag', `"${result.revision}"`)
        .send({
          eventId: result.events[0]?.eventId ?? null,
          stream: result.stream,
          revision: result.revision,
          position: result.position,
          alreadyRecorded: false,
          events: result.events,
        });
    },
  );
}

export const signatureRoutes = fp(signatures, {
  name: 'signature-routes',
  fastify: '5.x',
  dependencies: ['ledger', 'auth', 'rate-limit'],
  encapsulate: true,
});
