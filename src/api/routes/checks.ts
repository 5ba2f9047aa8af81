import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { CommandContext } from '../../commands/command-context.ts';
import { handleProgramCommand } from '../../commands/handle-command.ts';
import {
  IdempotencyKeyReusedError,
  idempotencyScope,
  idempotentEventId,
} from '../../commands/idempotency.ts';
import {
  type AsKnownAt,
  CalendarDate,
  type EventData,
  PlannedShipment,
  Rule,
  recordable,
  type ShipmentJudgment,
  type Shipped,
  Slug,
  Status,
} from '../../domain/index.ts';
import { samePayload } from '../../domain/same-payload.ts';
import { READERS, WRITERS } from '../plugins/auth.ts';
import { notFound, ProblemError, problemResponses } from '../problems.ts';
import { AsKnownAtQuery, BreachResponse, LimitUseResponse } from '../schemas.ts';

const Record = z
  .boolean()
  .optional()
  .describe('Keep the check as evidence: a ShipmentChecked event per program (writers only)');
const Headers = z.object({
  'idempotency-key': z
    .string()
    .min(1)
    .max(200)
    .regex(/^[\x21-\x7e]+$/, 'visible ASCII only')
    .optional(),
});

const Answer = z.object({
  programId: Slug,
  shippedOn: CalendarDate,
  units: z.int(),
  customerRef: z.string().optional(),
  destination: z.string().optional(),
  decision: z.enum(['allowed', 'blocked']),
  explanation: z.string().describe('One sentence: why, naming the letters'),
  basis: z.array(
    z.object({
      eventId: z.string(),
      position: z.int(),
      type: z.string(),
      roles: z.array(z.string()),
    }),
  ),
  status: Status.describe('The status on shippedOn'),
  rule: Rule,
  lastAuthorizedDay: CalendarDate.nullable(),
  breach: BreachResponse.nullable(),
  remaining: z
    .array(LimitUseResponse)
    .describe('Every limit judging the line, tightest first: units left after it'),
});
const Recorded = z.object({ programId: Slug, eventId: z.uuid(), position: z.int() });
const problems = problemResponses(400, 401, 403, 404, 409, 413, 415, 422, 429);

/** Pre-shipment checks (docs/design.md "Checks"): would this order line be allowed, and why. */
async function checks(app: FastifyInstance) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { queries, projections, store } = app.ledger;

  r.post(
    '/programs/:id/checks',
    {
      config: { roles: READERS },
      schema: {
        tags: ['queries'],
        summary:
          'Check a planned shipment: allowed or blocked, why, and what is left under each limit',
        params: z.object({ id: Slug }),
        querystring: z.object({ asKnownAt: AsKnownAtQuery }),
        headers: Headers,
        body: recordable(PlannedShipment.extend({ record: Record }).strict()),
        response: { 200: Answer.extend({ recorded: Recorded.nullable() }), ...problems },
      },
    },
    async (req) => {
      const { record, ...line } = req.body;
      const programId = req.params.id;
      if (!queries.status(programId, { at: line.shippedOn }))
        throw notFound(`no program ${programId}`);
      const [answer] = await answerLines(req, [{ programId, ...line }], record === true);
      return answer as z.infer<typeof Answer> & { recorded: z.infer<typeof Recorded> | null };
    },
  );

  r.post(
    '/checks',
    {
      config: { roles: READERS },
      schema: {
        tags: ['queries'],
        summary: 'Check many order lines at once; lines of one program deplete its limits in order',
        querystring: z.object({ asKnownAt: AsKnownAtQuery }),
        headers: Headers,
        body: z
          .object({
            lines: z
              .array(recordable(PlannedShipment.extend({ programId: Slug }).strict()))
              .min(1)
              .max(5000),
            record: Record,
          })
          .strict(),
        response: {
          200: z.object({
            lines: z.array(Answer),
            recorded: z.array(Recorded).describe('The ShipmentChecked events kept, per program'),
          }),
          ...problems,
        },
      },
    },
    async (req) => {
      const answers = await answerLines(req, req.body.lines, req.body.record === true);
      const recorded = [
        ...new Map(answers.flatMap((a) => (a.recorded ? [[a.programId, a.recorded]] : []))),
      ].map(([, r]) => r);
      return { lines: answers.map(({ recorded: _, ...a }) => a), recorded };
    },
  );

  type Line = Shipped & { programId: string };
  type Kept = { programId: string; eventId: string; position: number };

  /**
   * Answers the lines program by program, each program's in their order; with `record`, keeps
   * each program's check as a ShipmentChecked event. A retry under the same Idempotency-Key
   * answers as the ledger knew when the check was kept, from the event itself.
   */
  async function answerLines(req: FastifyRequest, lines: Line[], record: boolean) {
    const { asKnownAt } = req.query as { asKnownAt?: AsKnownAt };
    const key = (req.headers as z.infer<typeof Headers>)['idempotency-key'];
    if (record && !WRITERS.includes(req.principal?.role as never))
      throw new ProblemError(
        403,
        'forbidden',
        'Not allowed',
        `role ${req.principal?.role} may check but not record a check; allowed to record: ${WRITERS.join(', ')}`,
      );
    const byProgram = new Map<string, number[]>();
    lines.forEach((line, i) => {
      const indexes = byProgram.get(line.programId);
      if (indexes) indexes.push(i);
      else byProgram.set(line.programId, [i]);
    });
    const answers: (ReturnType<typeof answerOf> & { recorded: Kept | null })[] = [];
    for (const [programId, indexes] of byProgram) {
      const own = indexes.map((i) => orderLine(lines[i] as Line));
      const context = record ? commandContext(req, programId, key) : null;
      const earlier =
        context && key !== undefined
          ? await keptEarlier(programId, context, own, asKnownAt, key)
          : null;
      const answeredAtPosition = earlier?.answeredAtPosition ?? projections.position;
      const judged = queries.check(
        programId,
        own,
        earlier ? (earlier.asKnownAt ?? { position: answeredAtPosition }) : asKnownAt,
      );
      // A program the ledger does not hold has no stream to keep the check in: answered only.
      const holds = queries.status(programId, { at: (own[0] as Shipped).shippedOn }) !== null;
      let kept: Kept | null = earlier?.kept ?? null;
      if (context && !earlier && holds)
        kept = await keep(programId, context, own, judged, answeredAtPosition, asKnownAt);
      indexes.forEach((i, n) => {
        answers[i] = {
          ...answerOf(programId, own[n] as Shipped, judged[n] as ShipmentJudgment),
          recorded: kept,
        };
      });
    }
    return answers;
  }

  async function keep(
    programId: string,
    context: CommandContext,
    own: Shipped[],
    judged: ShipmentJudgment[],
    answeredAtPosition: number,
    asKnownAt: AsKnownAt | undefined,
  ): Promise<Kept> {
    const data: EventData<'ShipmentChecked'> = {
      answeredAtPosition,
      ...(asKnownAt && { asKnownAt }),
      lines: own.map((line, n) => {
        const j = judged[n] as ShipmentJudgment;
        return {
          ...line,
          decision: j.decision,
          explanation: j.explanation,
          basis: j.basis.map((b) => b.eventId),
        };
      }),
    };
    const result = await handleProgramCommand(
      store,
      programId,
      { type: 'RecordCheck', data },
      context,
    );
    if (!result.replayed) app.metrics.appendedEvents.inc(result.events.length);
    return { programId, eventId: result.events[0]?.eventId as string, position: result.position };
  }

  /** The check kept earlier under this Idempotency-Key, if any; another request under it is a 409. */
  async function keptEarlier(
    programId: string,
    context: CommandContext,
    own: Shipped[],
    asKnownAt: AsKnownAt | undefined,
    key: string,
  ): Promise<(EventData<'ShipmentChecked'> & { kept: Kept }) | null> {
    const eventId = idempotentEventId(
      idempotencyScope(context),
      context.idempotencyKey as string,
      0,
    );
    const stream = queries.streamOf(eventId);
    if (!stream) return null;
    const event = (await store.readStream(stream)).find((e) => e.eventId === eventId);
    const data = event?.data as EventData<'ShipmentChecked'> | undefined;
    if (
      event?.type !== 'ShipmentChecked' ||
      !samePayload(data?.lines.map(orderLine), own) ||
      !samePayload(data?.asKnownAt ?? null, asKnownAt ?? null)
    )
      throw new IdempotencyKeyReusedError(key);
    return {
      ...(data as EventData<'ShipmentChecked'>),
      kept: { programId, eventId, position: event.position },
    };
  }
}

/** The fields of an order line, without undefined ones (what is recorded and compared). */
const orderLine = ({ shippedOn, units, customerRef, destination }: Shipped): Shipped => ({
  shippedOn,
  units,
  ...(customerRef !== undefined && { customerRef }),
  ...(destination !== undefined && { destination }),
});

/** The Idempotency-Key of a program's kept check: its own name, apart from commands' keys. */
function commandContext(
  req: FastifyRequest,
  programId: string,
  key: string | undefined,
): CommandContext {
  return {
    recordedBy: req.principal?.name ?? 'anonymous',
    ...(req.principal ? { keyId: req.principal.keyId } : {}),
    correlationId: req.id,
    ...(key !== undefined ? { idempotencyKey: `checks/${programId}/${key}` } : {}),
  };
}

function answerOf(programId: string, line: Shipped, j: ShipmentJudgment) {
  return {
    programId,
    ...orderLine(line),
    decision: j.decision,
    explanation: j.explanation,
    basis: j.basis,
    status: j.status,
    rule: j.rule,
    lastAuthorizedDay: j.lastAuthorizedDay,
    breach: j.breach,
    remaining: j.remaining,
  };
}

/** Encapsulated, so app.ts can mount it under a prefix. */
export const checkRoutes = fp(checks, {
  name: 'check-routes',
  fastify: '5.x',
  dependencies: ['ledger', 'auth', 'rate-limit'],
  encapsulate: true,
});
