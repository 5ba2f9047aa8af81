import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { type AsKnownAt, CalendarDate, Slug } from '../../domain/index.ts';
import { eventById } from '../../eventstore/event-by-id.ts';
import { compareWithRebuild } from '../../projections/compare-answers.ts';
import { answerAtPosition } from '../answer-at-position.ts';
import { NextCursor, PageQuery, pageOf } from '../paging.ts';
import { printedNames } from '../people.ts';
import { READERS } from '../plugins/auth.ts';
import { notFound, problemResponses } from '../problems.ts';
import {
  AsKnownAtQuery,
  AuditEntryResponse,
  BackdatedFactResponse,
  DeadlineResponse,
  EventIdParams,
  ProgramStatusResponse,
  ProgramSummary,
  RecordedEventResponse,
  TimelineIntervalResponse,
  VerifyReport,
  ViolationResponse,
} from '../schemas.ts';

const problems = problemResponses(400, 401, 403, 404, 429);
const IdParams = z.object({ id: Slug });

/** Queries (docs/design.md §6), answered from the projections as known now or at `asKnownAt`. */
async function queries(app: FastifyInstance) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const config = { roles: READERS };
  const heavy = { ...config, heavy: true };
  const fromStore = { ...config, readsStore: true };
  const { queries, projections } = app.ledger;
  // Off the event loop (Ledger.lists). Kept per position for the answer as known now; an
  // `asKnownAt` answer is computed each time.
  const violationsNow = answerAtPosition(
    () => projections.position,
    () => app.ledger.lists.violations(),
  );
  const backdatingNow = answerAtPosition(
    () => projections.position,
    (days: number) => app.ledger.lists.backdating(days),
  );
  const violations = (asKnownAt?: AsKnownAt) =>
    asKnownAt ? app.ledger.lists.violations(asKnownAt) : violationsNow();
  const backdating = (days: number, asKnownAt?: AsKnownAt) =>
    asKnownAt ? app.ledger.lists.backdating(days, asKnownAt) : backdatingNow(days);

  r.get(
    '/programs',
    {
      config,
      schema: {
        tags: ['queries'],
        summary: 'Programs with their status on a date',
        querystring: z.object({
          supplierId: Slug.optional(),
          specificationId: Slug.optional(),
          status: ProgramStatusResponse.shape.status.optional(),
          at: CalendarDate.optional(),
          idContains: z.string().trim().toLowerCase().max(64).optional(),
          offset: z.coerce.number().int().min(0).default(0),
          limit: z.coerce.number().int().min(1).max(1000).optional(),
        }),
        response: {
          200: z.object({
            programs: z.array(ProgramSummary),
            total: z.int().describe('Programs matching the filters, before offset and limit'),
          }),
          ...problems,
        },
      },
    },
    async (req) => {
      const { at = app.today(), ...filter } = req.query;
      const { total, programs } = queries.programPage({ at, ...filter });
      return {
        total,
        programs: programs.map(({ status: { at: _, ...status }, ...program }) => ({
          ...program,
          status: { at, ...status },
        })),
      };
    },
  );

  r.get(
    '/programs/:id/status',
    {
      config,
      schema: {
        tags: ['queries'],
        summary: 'Is the program authorized on a date, until when, and why (as known at a moment)',
        params: IdParams,
        querystring: z.object({ at: CalendarDate.optional(), asKnownAt: AsKnownAtQuery }),
        response: { 200: ProgramStatusResponse, ...problems },
      },
    },
    async (req) => {
      const { at = app.today(), asKnownAt } = req.query;
      const status = queries.status(req.params.id, { at, ...(asKnownAt ? { asKnownAt } : {}) });
      if (!status) throw notFound(`no program ${req.params.id}`);
      // Signatures are shown beside the basis, not evaluated: a status never depends on them.
      const basis = status.basis.map((b) => ({
        ...b,
        signatures: queries.signaturesOf(b.eventId, asKnownAt),
      }));
      return { programId: req.params.id, ...status, basis };
    },
  );

  r.get(
    '/programs/:id/audit-trail',
    {
      config: heavy,
      schema: {
        tags: ['audit'],
        summary: 'Every event that affects the program, in record order; paged',
        params: IdParams,
        querystring: z.object({ asKnownAt: AsKnownAtQuery, ...PageQuery }),
        response: {
          200: z.object({
            programId: Slug,
            entries: z.array(AuditEntryResponse),
            next: NextCursor,
          }),
          ...problems,
        },
      },
    },
    async (req) => {
      const { asKnownAt, ...page } = req.query;
      const entries = await queries.auditTrail(
        req.params.id,
        asKnownAt,
        printedNames(app.credentialsPath),
      );
      if (!entries) throw notFound(`no program ${req.params.id}`);
      const { items, next } = pageOf(
        `audit-trail ${req.params.id}`,
        entries,
        (e) => [e.position],
        page,
      );
      return { programId: req.params.id, entries: items, next };
    },
  );

  r.get(
    '/programs/:id/timeline',
    {
      config,
      schema: {
        tags: ['queries'],
        summary: 'Status intervals over valid time, each with its basis',
        params: IdParams,
        querystring: z.object({ asKnownAt: AsKnownAtQuery }),
        response: {
          200: z.object({ programId: Slug, intervals: z.array(TimelineIntervalResponse) }),
          ...problems,
        },
      },
    },
    async (req) => {
      const intervals = queries.timeline(req.params.id, req.query.asKnownAt);
      if (!intervals) throw notFound(`no program ${req.params.id}`);
      return { programId: req.params.id, intervals };
    },
  );

  r.get(
    '/deadlines',
    {
      config: heavy,
      schema: {
        tags: ['queries'],
        summary: 'Programs whose authorization ends within N days, soonest first; paged',
        querystring: z.object({
          withinDays: z.coerce.number().int().min(0).max(36_500).default(90),
          today: CalendarDate.optional(),
          asKnownAt: AsKnownAtQuery,
          ...PageQuery,
        }),
        response: {
          200: z.object({
            today: CalendarDate,
            withinDays: z.int(),
            deadlines: z.array(DeadlineResponse),
            next: NextCursor,
          }),
          ...problems,
        },
      },
    },
    async (req) => {
      const { withinDays, today: on = app.today(), asKnownAt, ...page } = req.query;
      const all = queries.deadlines({ today: on, withinDays, ...(asKnownAt ? { asKnownAt } : {}) });
      const { items, next } = pageOf('deadlines', all, (d) => [d.until, d.programId], page);
      return { today: on, withinDays, deadlines: items, next };
    },
  );

  r.get(
    '/compliance/violations',
    {
      config: heavy,
      schema: {
        tags: ['audit'],
        summary: 'Shipments outside an authorization, as known now and when recorded; paged',
        querystring: z.object({ asKnownAt: AsKnownAtQuery, ...PageQuery }),
        response: {
          200: z.object({ violations: z.array(ViolationResponse), next: NextCursor }),
          ...problems,
        },
      },
    },
    async (req) => {
      const { asKnownAt, ...page } = req.query;
      const { items, next } = pageOf(
        'violations',
        await violations(asKnownAt),
        (v) => [v.position],
        page,
      );
      return { violations: items, next };
    },
  );

  r.get(
    '/compliance/backdating',
    {
      config: heavy,
      schema: {
        tags: ['audit'],
        summary:
          'Facts recorded more than N days after their valid date, most delayed first; paged',
        querystring: z.object({
          thresholdDays: z.coerce.number().int().min(0).max(36_500).default(30),
          asKnownAt: AsKnownAtQuery,
          ...PageQuery,
        }),
        response: {
          200: z.object({
            thresholdDays: z.int(),
            facts: z.array(BackdatedFactResponse),
            next: NextCursor,
          }),
          ...problems,
        },
      },
    },
    async (req) => {
      const { thresholdDays, asKnownAt, ...page } = req.query;
      const all = await backdating(thresholdDays, asKnownAt);
      const { items, next } = pageOf('backdating', all, (f) => [-f.lagDays, f.position], page);
      return { thresholdDays, facts: items, next };
    },
  );

  r.get(
    '/events',
    {
      config: fromStore,
      schema: {
        tags: ['audit'],
        summary: 'The raw ledger in global order, for external replay',
        querystring: z.object({
          fromPosition: z.coerce.number().int().min(1).default(1),
          limit: z.coerce.number().int().min(1).max(1000).default(100),
        }),
        response: {
          200: z.object({
            events: z.array(RecordedEventResponse),
            nextPosition: z.int().nullable(),
          }),
          ...problems,
        },
      },
    },
    async (req) => {
      const events = await app.ledger.store.readAll(req.query);
      const last = events.at(-1);
      return {
        events,
        nextPosition: last && events.length === req.query.limit ? last.position + 1 : null,
      };
    },
  );

  r.get(
    '/events/:eventId',
    {
      config: fromStore,
      schema: {
        tags: ['audit'],
        summary: 'One recorded event with its content and envelope',
        params: EventIdParams,
        response: { 200: RecordedEventResponse, ...problems },
      },
    },
    async (req) => {
      const { eventId } = req.params;
      const event = await eventById(app.ledger.store, eventId);
      if (!event) throw notFound(`the ledger holds no event ${eventId}`);
      return event;
    },
  );

  r.get(
    '/ledger/verify',
    {
      config: heavy,
      schema: {
        tags: ['audit'],
        summary:
          'Check every hash chain of the ledger; names the first bad event. With answers=true, also rebuild every read model from the events and name the first program whose answer differs',
        querystring: z.object({
          answers: z.enum(['true', 'false']).default('false'),
        }),
        response: { 200: VerifyReport, ...problems },
      },
    },
    async (req) => {
      const report = await app.ledger.verify();
      if (req.query.answers !== 'true' || !report.ok) return report;
      const answers = await compareWithRebuild(
        app.ledger.store,
        app.ledger.projections,
        app.today(),
      );
      return { ...report, ok: answers.ok, answers };
    },
  );
}

/** Encapsulated, so app.ts can mount it under a prefix. */
export const queryRoutes = fp(queries, {
  name: 'query-routes',
  fastify: '5.x',
  dependencies: ['ledger', 'auth', 'rate-limit'],
  encapsulate: true,
});
