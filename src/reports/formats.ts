/** The audit report as JSON, CSV (RFC 4180, one table with a `section` column) or Markdown. */
import { stringify } from 'csv-stringify/sync';
import { who } from '../../projections/audit-trail.ts';
import type { LimitUse } from '../domain/index.ts';
import { type AuditReport, grownSince } from './audit-report.ts';
import { csvCell, markdownCell } from './neutralize.ts';

export const REPORT_COLUMNS = [
  'section',
  'position',
  'recordedAt',
  'recordedBy',
  'type',
  'validDate',
  'content',
  'documentRef',
  'documentSha256',
  'eventId',
  'hash',
  'retractedBy',
  'corrects',
  'correctedBy',
  'change',
] as const;
type Row = Partial<Record<(typeof REPORT_COLUMNS)[number], unknown>>;

const fact = (section: string, key: string, value: unknown): Row => ({
  section,
  type: key,
  content: value,
});

/** Every section as rows of one table, in the order the HTML report shows them. */
export function reportRows(report: AuditReport): Row[] {
  const { program, status, checkpoint, verification } = report;
  return [
    fact('report', 'program', program.programId),
    fact('report', 'supplier', program.supplierId),
    fact('report', 'specification', program.specificationId),
    fact('report', 'channel', program.channel),
    fact('report', 'regulator', program.regulator),
    fact('report', 'as known at', report.asKnownAt),
    fact('report', 'generated at', report.generatedAt),
    fact('report', 'tool', `${report.tool.name} ${report.tool.version}`),
    fact(
      'status',
      `status on ${status.at}`,
      `${status.status} (${status.rule}) from ${status.authorizedFrom ?? '-'} until ${status.until ?? 'open-ended'}: ${status.explanation}`,
    ),
    ...report.timeline.map((i) =>
      fact('timeline', i.status, `[${i.from ?? '…'}, ${i.until ?? '…'}) ${i.explanation}`),
    ),
    ...report.entries.flatMap((e): Row[] => [
      { section: e.retractedBy ? 'event (retracted)' : 'event', ...e, recordedBy: who(e) },
      // Each signature after the event it signs (11.50: name, time, meaning), bound by its hash.
      ...e.signatures.map(
        (s): Row => ({
          section: e.retractedBy ? 'signature (on a retracted event)' : 'signature',
          position: s.position,
          recordedAt: s.recordedAt,
          recordedBy: s.signer,
          type: s.meaning,
          content: s.statement,
          eventId: e.eventId,
          hash: s.hash,
        }),
      ),
    ]),
    ...report.violations.map(
      (v): Row => ({
        section: 'violation',
        position: v.position,
        recordedAt: v.recordedAt,
        type: 'ShipmentRecorded',
        validDate: v.shippedOn,
        content: `shipment ${v.shipmentId}, ${v.units} units: as known now ${v.asKnownNow.status} (${v.asKnownNow.rule}); as known when recorded ${v.asKnownWhenRecorded.status} (${v.asKnownWhenRecorded.rule})${limitsInWords(v.asKnownNow.limits)}`,
        eventId: v.eventId,
      }),
    ),
    ...report.backdated.map(
      (b): Row => ({
        section: 'backdated',
        position: b.position,
        recordedAt: b.recordedAt,
        type: b.type,
        validDate: b.validDate,
        content: `recorded ${b.lagDays} days after its valid date (threshold ${report.backdatingThresholdDays})`,
        eventId: b.eventId,
      }),
    ),
    fact(
      'checkpoint',
      'signed checkpoint',
      checkpoint
        ? `${checkpoint.origin}, tree size ${checkpoint.treeSize}, root ${checkpoint.rootHash}; ${checkpoint.signatures.join(' ')}${grownSince(checkpoint.eventsSince)}`
        : 'none signed yet',
    ),
    fact('verification', verification.ok ? 'passed' : 'FAILED', verification.detail),
    ...report.howToCheck.map((step, n) => fact('how to check', `step ${n + 1}`, step)),
  ];
}

export function formatReport(report: AuditReport, format: 'json' | 'csv' | 'md'): string {
  switch (format) {
    case 'json':
      return `${JSON.stringify(report, null, 2)}\n`;
    case 'csv':
      return stringify(
        reportRows(report).map((row) =>
          Object.fromEntries(REPORT_COLUMNS.map((c) => [c, csvCell(row[c])])),
        ),
        { header: true, columns: [...REPORT_COLUMNS] },
      );
    case 'md': {
      const lines = [
        `# Audit report: ${markdownCell(report.program.programId)}`,
        '',
        `| ${REPORT_COLUMNS.join(' | ')} |`,
        `| ${REPORT_COLUMNS.map(() => '---').join(' | ')} |`,
        ...reportRows(report).map(
          (row) => `| ${REPORT_COLUMNS.map((c) => markdownCell(row[c])).join(' | ')} |`,
        ),
        '',
        '## Signed checkpoint',
        '',
        '```',
        (report.checkpoint?.note ?? 'none signed yet').trimEnd().replaceAll('```', "'''"),
        '```',
      ];
      return `${lines.join('\n')}\n`;
    }
  }
}

/** Units used and left under each limit judging a shipment, as known now. */
export const limitsInWords = (limits: readonly LimitUse[]): string =>
  limits.length === 0
    ? ''
    : `; limits as known now: ${limits
        .map(
          (l) =>
            `${l.limit} per ${l.per} set by ${l.setBy} in the ${l.period.name}: ${l.used} used before, ${l.remaining} left after`,
        )
        .join('; ')}`;
