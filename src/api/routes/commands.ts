import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { CommandContext, CommandResult } from '../../commands/command-context.ts';
import { handleProgramCommand, handleSpecificationCommand } from '../../commands/handle-command.ts';
import {
  DecideLicenseApplication,
  EndProgram,
  type ProgramCommand,
  RecordNotice,
  RecordShipment,
  RegisterProgram,
  RegisterSpecification,
  ReleaseTechnicalDataPackage,
  RetractionReason,
  Slug,
  type SpecificationCommand,
  SubmitLicenseApplication,
  streamOwner,
} from '../../domain/index.ts';
import { StreamRevisionConflictError } from '../../eventstore/errors.ts';
import { ProjectionWaitTimeoutError } from '../../projections/runtime.ts';
import { WRITERS } from '../plugins/auth.ts';
import { notFound, ProblemError, problemResponses } from '../problems.ts';
import { CommandAccepted, EventIdParams } from '../schemas.ts';

const ExpectedRevision = z
  .int()
  .min(-1)
  .optional()
  .describe('The stream revision the client last saw (-1: no stream); a mismatch is a 409');
const CommandHeaders = z.object({
  'idempotency-key': z
    .string()
    .min(1)
    .max(200)
    .regex(/^[\x21-\x7e]+$/, 'visible ASCII only')
    .optional(),
  'if-match': z
    .string()
    .regex(/^(W\/)?"-?\d+"$/, 'an ETag as returned by a command, e.g. "3"')
    .optional(),
});
const problems = problemResponses(400, 401, 403, 404, 409, 412, 413, 415, 422, 429);

type Target =
  | { kind: 'program'; id: string; command: ProgramCommand }
  | { kind: 'specification'; id: string; command: SpecificationCommand };

/** Commands (docs/design.md §6): each validates its body, runs its aggregate's decider and answers once the read models show it. */
async function commands(app: FastifyInstance) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const config = { roles: WRITERS };
  const revision = { expectedRevision: ExpectedRevision };
  const IdParams = z.object({ id: Slug });

  r.post(
    '/specifications',
    {
      config,
      schema: {
        tags: ['commands'],
        summary: 'Register a specification',
        headers: CommandHeaders,
        body: RegisterSpecification,
        response: { 201: CommandAccepted, 200: CommandAccepted, ...problems },
      },
    },
    (req, reply) =>
      run(req, reply, {
        kind: 'specification',
        id: req.body.specificationId,
        command: { type: 'RegisterSpecification', data: req.body },
      }),
  );
  r.post(
    '/specifications/:id/tdp-releases',
    {
      config,
      schema: {
        tags: ['commands'],
        summary: "Record a specification's Technical Data Package release",
        params: IdParams,
        headers: CommandHeaders,
        body: ReleaseTechnicalDataPackage.extend(revision),
        response: { 201: CommandAccepted, 200: CommandAccepted, ...problems },
      },
    },
    (req, reply) => {
      const { expectedRevision, ...data } = req.body;
      return run(
        req,
        reply,
        {
          kind: 'specification',
          id: req.params.id,
          command: { type: 'ReleaseTechnicalDataPackage', data },
        },
        expectedRevision,
      );
    },
  );
  r.post(
    '/programs',
    {
      config,
      schema: {
        tags: ['commands'],
        summary: 'Register a supply program',
        headers: CommandHeaders,
        body: RegisterProgram,
        response: { 201: CommandAccepted, 200: CommandAccepted, ...problems },
      },
    },
    (req, reply) =>
      run(req, reply, {
        kind: 'program',
        id: req.body.programId,
        command: { type: 'RegisterProgram', data: req.body },
      }),
  );

  const programCommands = [
    ['notices', 'Record a notice received from the regulator', RecordNotice, 'RecordNotice'],
    [
      'license-applications',
      'Record a license application submitted',
      SubmitLicenseApplication,
      'SubmitLicenseApplication',
    ],
    [
      'license-decisions',
      'Record a decision on a license application',
      DecideLicenseApplication,
      'DecideLicenseApplication',
    ],
    [
      'shipments',
      'Record a shipment (recorded even when outside an authorization, and flagged)',
      RecordShipment,
      'RecordShipment',
    ],
    ['end', 'Record that the supplier ended the program', EndProgram, 'EndProgram'],
  ] as const;
  for (const [path, summary, body, type] of programCommands) {
    r.post(
      `/programs/:id/${path}`,
      {
        config,
        schema: {
          tags: ['commands'],
          summary,
          params: IdParams,
          headers: CommandHeaders,
          body: body.extend(revision),
          response: { 201: CommandAccepted, 200: CommandAccepted, ...problems },
        },
      },
      (req, reply) => {
        const { expectedRevision, ...data } = req.body as { expectedRevision?: number };
        return run(
          req,
          reply,
          {
            kind: 'program',
            id: req.params.id,
            command: { type, data } as unknown as ProgramCommand,
          },
          expectedRevision,
        );
      },
    );
  }

  r.post(
    '/events/:eventId/retractions',
    {
      config,
      schema: {
        tags: ['commands'],
        summary: 'Retract an event (it stays in the history; the audit trail shows both)',
        params: EventIdParams,
        headers: CommandHeaders,
        body: RetractionReason.extend(revision),
        response: { 201: CommandAccepted, 200: CommandAccepted, ...problems },
      },
    },
    (req, reply) => {
      const { expectedRevision, reason } = req.body;
      const stream = app.ledger.queries.streamOf(req.params.eventId);
      const owner = stream ? streamOwner(stream) : null;
      if (!owner) throw notFound(`the ledger holds no event ${req.params.eventId}`);
      const command = {
        type: 'RetractEvent' as const,
        data: { retractedEventId: req.params.eventId, reason },
      };
      return run(req, reply, { ...owner, command }, expectedRevision);
    },
  );

  async function run(
    req: FastifyRequest,
    reply: FastifyReply,
    target: Target,
    bodyRevision?: number,
  ) {
    const headers = req.headers as z.infer<typeof CommandHeaders>;
    const ifMatch = headers['if-match']
      ? Number(/"(-?\d+)"/.exec(headers['if-match'])?.[1])
      : undefined;
    if (headers['if-match']?.startsWith('W/'))
      throw new ProblemError(
        412,
        'precondition-failed',
        'Precondition failed',
        'If-Match compares strongly: a weak ETag never matches (RFC 9110 §13.1.1)',
      );
    if (ifMatch !== undefined && bodyRevision !== undefined && ifMatch !== bodyRevision)
      throw new ProblemError(
        400,
        'validation',
        'Request is not valid',
        `If-Match (${ifMatch}) and expectedRevision (${bodyRevision}) disagree`,
      );
    const context: CommandContext = {
      recordedBy: req.principal?.name ?? 'anonymous',
      ...(req.principal ? { keyId: req.principal.keyId } : {}),
      correlationId: req.id,
      ...(headers['idempotency-key'] ? { idempotencyKey: headers['idempotency-key'] } : {}),
      ...((ifMatch ?? bodyRevision) !== undefined
        ? { expectedRevision: ifMatch ?? bodyRevision }
        : {}),
      deadline: commandDeadline(app.server.requestTimeout),
    };
    const { store, projections } = app.ledger;
    let result: CommandResult;
    try {
      result =
        target.kind === 'program'
          ? await handleProgramCommand(store, target.id, target.command, context)
          : await handleSpecificationCommand(store, target.id, target.command, context);
    } catch (error) {
      if (ifMatch !== undefined && error instanceof StreamRevisionConflictError)
        throw new ProblemError(412, 'precondition-failed', 'Precondition failed', error.message);
      throw error;
    }
    if (!result.replayed) app.metrics.appendedEvents.inc(result.events.length);
    // The events are committed: read models lagging (their subscription down) never turn that
    // into a failure; the answer then only cannot promise that reads already see it.
    const visible = await projections.waitFor(result.position).then(
      () => true,
      (error: unknown) => {
        if (error instanceof ProjectionWaitTimeoutError) return false;
        throw error;
      },
    );
    if (!visible) reply.header('ledger-read-models', 'behind');
    const created = result.events.length > 0;
    const eventId = result.events[0]?.eventId ?? null;
    // A shipment's answer says at once whether it breaks an authorization or a limit.
    const shipped = target.command.type === 'RecordShipment' && visible && eventId !== null;
    return reply
      .code(created ? 201 : 200)
      .header('etag', `"${result.revision}"`)
      .send({
        eventId,
        stream: result.stream,
        revision: result.revision,
        position: result.position,
        alreadyRecorded: !created,
        events: result.events,
        ...(shipped && { violation: app.ledger.queries.shipmentViolation(target.id, eventId) }),
      });
  }
}

/** Encapsulated, so app.ts can mount it under a prefix. */
export const commandRoutes = fp(commands, {
  name: 'command-routes',
  fastify: '5.x',
  dependencies: ['ledger', 'auth', 'rate-limit'],
  encapsulate: true,
});

/**
 * A command that other writers keep overtaking decides again until shortly before the request
 * timeout, then answers 503 itself, before the server would cut the request off.
 */
function commandDeadline(requestTimeoutMs: number | undefined): number | undefined {
  if (!requestTimeoutMs) return undefined;
  return Date.now() + requestTimeoutMs - Math.min(1_000, requestTimeoutMs / 10);
}
