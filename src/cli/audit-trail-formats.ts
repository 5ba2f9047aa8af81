import { stringify } from 'csv-stringify/sync';
import type { AuditEntry } from '../../projections/audit-trail.ts';
import { csvCell, markdownCell } from '../reports/neutralize.ts';
import { table } from './render.ts';

export const AUDIT_COLUMNS = [
  'position',
  'recordedAt',
  'recordedBy',
  'person',
  'stream',
  'revision',
  'type',
  'validDate',
  'content',
  'documentRef',
  'documentSha256',
  'eventId',
  'hash',
  'retracts',
  'retractedBy',
  'corrects',
  'correctedBy',
  'change',
  'signatures',
] as const satisfies readonly (keyof AuditEntry)[];

/** A cell's text: signatures in words (docs/design.md "Signatures"), the rest as they are. */
const cellOf = (e: AuditEntry, column: (typeof AUDIT_COLUMNS)[number]) =>
  column === 'signatures' ? e.signatures.map((s) => s.statement).join('; ') : e[column];

const asRows = (entries: readonly AuditEntry[]) =>
  entries.map((e) => Object.fromEntries(AUDIT_COLUMNS.map((c) => [c, csvCell(cellOf(e, c))])));

/** The audit trail as a terminal table, JSON, CSV (RFC 4180) or a Markdown table. */
export function formatAuditTrail(
  entries: readonly AuditEntry[],
  format: 'table' | 'json' | 'csv' | 'md',
): string {
  switch (format) {
    case 'json':
      return `${JSON.stringify(entries, null, 2)}\n`;
    case 'csv':
      return stringify(asRows(entries), { header: true, columns: [...AUDIT_COLUMNS] });
    case 'md': {
      const escapeCell = markdownCell;
      const lines = [
        `| ${AUDIT_COLUMNS.join(' | ')} |`,
        `| ${AUDIT_COLUMNS.map(() => '---').join(' | ')} |`,
        ...asRows(entries).map(
          (r) => `| ${AUDIT_COLUMNS.map((c) => escapeCell(r[c])).join(' | ')} |`,
        ),
      ];
      return `${lines.join('\n')}\n`;
    }
    case 'table':
      return `${table(asRows(entries), ['position', 'recordedAt', 'recordedBy', 'person', 'type', 'validDate', 'documentRef', 'eventId', 'retractedBy', 'correctedBy', 'corrects'])}\n`;
  }
}
