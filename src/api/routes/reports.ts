import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { CalendarDate, Slug } from '../../domain/index.ts';
import { buildAuditReport } from '../../reports/audit-report.ts';
import { formatReport } from '../../reports/formats.ts';
import { htmlReport } from '../../reports/html.ts';
import { toolVersion } from '../../reports/tool.ts';
import { printedNames } from '../people.ts';
import { READERS } from '../plugins/auth.ts';
import { notFound, problemResponses } from '../problems.ts';
import { AsKnownAtQuery } from '../schemas.ts';

const MEDIA = {
  html: 'text/html; charset=utf-8',
  json: 'application/json; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
  md: 'text/markdown; charset=utf-8',
} as const;

/** The HTML report is one self-contained page: its inline style, nothing else, never framed. */
const REPORT_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/**
 * The audit report an inspector files (the same as `ledger report`), for auditors: made at the
 * last checkpoint kept, with the hash chains verified as it is made. Reading never signs: the
 * report says how far the ledger grew since that checkpoint.
 */
async function report(app: FastifyInstance) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tool = toolVersion();

  r.get(
    '/programs/:id/audit-report',
    {
      config: { roles: READERS, heavy: true },
      schema: {
        tags: ['audit'],
        summary:
          "The program's audit report: every event in words, violations, backdated facts, the signed checkpoint and the verification result",
        params: z.object({ id: Slug }),
        querystring: z.object({
          format: z.enum(['html', 'json', 'csv', 'md']).default('html'),
          at: CalendarDate.optional(),
          asKnownAt: AsKnownAtQuery,
        }),
        response: {
          200: {
            description: 'The report; HTML prints on A4 or Letter',
            content: Object.fromEntries(
              Object.values(MEDIA).map((type) => [type.split(';')[0], { schema: z.string() }]),
            ),
          },
          ...problemResponses(400, 401, 403, 404, 429),
        },
      },
    },
    async (req, reply) => {
      const { format, at = app.today(), asKnownAt } = req.query;
      const { queries, projections, checkpoints, store } = app.ledger;
      const checkpoint = (await checkpoints?.lastPublished()) ?? null;
      if (checkpoint) await projections.waitFor(checkpoint.treeSize);
      const report = await buildAuditReport(queries, projections, req.params.id, {
        at,
        ...(asKnownAt ? { asKnownAt } : {}),
        checkpoint,
        headPosition: await store.headPosition(),
        verification: await app.ledger.verify(),
        tool,
        generatedAt: new Date().toISOString(),
        personOf: printedNames(app.credentialsPath),
      });
      if (!report) throw notFound(`no program ${req.params.id}`);
      if (format === 'html') reply.header('content-security-policy', REPORT_CSP);
      const body = format === 'html' ? htmlReport(report) : formatReport(report, format);
      return reply.type(MEDIA[format]).send(body);
    },
  );
}

export const reportRoutes = fp(report, {
  name: 'report-routes',
  fastify: '5.x',
  dependencies: ['ledger', 'auth', 'rate-limit'],
  encapsulate: true,
});
