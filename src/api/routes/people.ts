import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { Text } from '../../domain/index.ts';
import {
  addPerson,
  changePassphrase,
  listPeople,
  PersonError,
  personOfKey,
  setPassphrase,
} from '../people.ts';
import { READERS } from '../plugins/auth.ts';
import { ProblemError, problemResponses } from '../problems.ts';
import { personProblem } from './signatures.ts';

const Person = z
  .object({
    id: z.string(),
    name: z.string(),
    email: z.string(),
    keyIds: z.array(z.string()),
    passphraseSetAt: z.string().nullable(),
    failedAttempts: z.int(),
    lockedAt: z.string().nullable(),
    createdAt: z.string(),
  })
  .meta({ id: 'Person' });
const Passphrase = z.string().min(1).max(1000);
const problems = problemResponses(400, 401, 403, 404, 409, 413, 415, 423, 429);

/** People who sign (docs/design.md "Signatures"): admins register them; each changes their own passphrase. */
async function people(app: FastifyInstance) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const admin = { roles: ['admin'] as const };
  const path = () => app.credentialsPath;
  const answering = async <T>(work: () => T | Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      if (error instanceof PersonError) throw personProblem(error);
      throw error;
    }
  };

  r.get(
    '/people',
    {
      config: admin,
      schema: {
        tags: ['people'],
        summary: 'Every person registered to sign, without passphrases',
        response: { 200: z.object({ people: z.array(Person) }), ...problems },
      },
    },
    async () => ({ people: listPeople(path()) }),
  );

  r.post(
    '/people',
    {
      config: admin,
      schema: {
        tags: ['people'],
        summary: 'Register a person: printed name, email and the API key ids they use',
        body: z
          .object({
            name: Text(200).describe('The printed name a signature shows'),
            email: z.email().max(320),
            keyIds: z
              .array(z.string().regex(/^[0-9a-f]{8}$/))
              .min(1)
              .max(20),
          })
          .strict(),
        response: { 201: Person, ...problems },
      },
    },
    async (req, reply) => reply.code(201).send(await answering(() => addPerson(path(), req.body))),
  );

  r.put(
    '/people/:id/passphrase',
    {
      config: admin,
      schema: {
        tags: ['people'],
        summary: "Set a person's signing passphrase (also unlocks them); they should change it",
        params: z.object({ id: z.string() }),
        body: z.object({ passphrase: Passphrase }).strict(),
        response: { 200: Person, ...problems },
      },
    },
    async (req) => answering(() => setPassphrase(path(), req.params.id, req.body.passphrase)),
  );

  r.post(
    '/people/me/passphrase',
    {
      config: { roles: READERS },
      schema: {
        tags: ['people'],
        summary: 'Change your own signing passphrase, giving the current one',
        body: z.object({ current: Passphrase, passphrase: Passphrase }).strict(),
        response: { 200: Person, ...problems },
      },
    },
    async (req) => {
      const person = req.principal ? personOfKey(path(), req.principal.keyId) : null;
      if (!person)
        throw new ProblemError(
          403,
          'person/not-registered',
          'Not allowed',
          'no person is registered for this API key',
        );
      return answering(() =>
        changePassphrase(path(), person.id, req.body.current, req.body.passphrase),
      );
    },
  );
}

export const peopleRoutes = fp(people, {
  name: 'people-routes',
  fastify: '5.x',
  dependencies: ['auth', 'rate-limit'],
  encapsulate: true,
});
