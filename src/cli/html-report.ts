import type { AuditEntry } from '../../projections/audit-trail.ts';
import type { TimelineInterval } from '../../projections/timeline.ts';
import type { EventData, ProgramStatus } from '../domain/index.ts';
import { AUDIT_COLUMNS } from './audit-trail-formats.ts';

export interface ReportInput {
  program: EventData<'ProgramRegistered'>;
  status: ProgramStatus;
  timeline: TimelineInterval[];
  entries: AuditEntry[];
  asKnownAt: string;
  generatedAt: string;
}

const COLORS: Record<string, string> = {
  authorized: '#2e7d32',
  suspended: '#f9a825',
  expired: '#c62828',
  revoked: '#6a1b9a',
  ended: '#455a64',
  'application-pending': '#1565c0',
  'application-rejected': '#ad1457',
  'not-authorized': '#bdbdbd',
};

const escapeHtml = (s: unknown) =>
  String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * The auditor's report: one self-contained HTML file (inline CSS and SVG, nothing fetched) with
 * the program, its status and basis, a timeline picture of authorization intervals with the
 * notices and TDP releases marked, and every event with its hashes.
 */
export function htmlReport(input: ReportInput): string {
  const { program, status } = input;
  const basis = status.basis
    .map(
      (b) =>
        `<li><code>${escapeHtml(b.eventId)}</code> @${b.position} ${escapeHtml(b.type)} (${escapeHtml(b.roles.join(', '))})</li>`,
    )
    .join('');
  const pending = status.pendingConditions
    .map((p) => `<li>${escapeHtml(p.description)}</li>`)
    .join('');
  const rows = input.entries
    .map(
      (e) =>
        `<tr${e.retractedBy ? ' class="retracted"' : ''}>${AUDIT_COLUMNS.map((c) => `<td>${escapeHtml(e[c])}</td>`).join('')}</tr>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Audit report: ${escapeHtml(program.programId)}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2rem;color:#212121}
h1{font-size:1.4rem} h2{font-size:1.1rem;margin-top:2rem}
.status{display:inline-block;padding:.2rem .6rem;border-radius:4px;color:#fff;background:${COLORS[status.status] ?? '#757575'}}
table{border-collapse:collapse;font-size:.75rem} td,th{border:1px solid #ccc;padding:.2rem .4rem;text-align:left;vertical-align:top}
td{font-family:ui-monospace,monospace;word-break:break-all} tr.retracted td{text-decoration:line-through;color:#888}
dl{display:grid;grid-template-columns:max-content auto;gap:.2rem 1rem} dt{font-weight:600}
</style></head><body>
<h1>Audit report: ${escapeHtml(program.programId)}</h1>
<dl>
<dt>Supplier</dt><dd>${escapeHtml(program.supplierId)}</dd>
<dt>Specification</dt><dd>${escapeHtml(program.specificationId)}</dd>
<dt>Channel</dt><dd>${escapeHtml(program.channel)}</dd>
<dt>Regulator</dt><dd>${escapeHtml(program.regulator)}</dd>
<dt>As known at</dt><dd>${escapeHtml(input.asKnownAt)}</dd>
<dt>Generated</dt><dd>${escapeHtml(input.generatedAt)}</dd>
</dl>
<h2>Status on ${escapeHtml(status.at)}</h2>
<p><span class="status">${escapeHtml(status.status)}</span> rule <code>${escapeHtml(status.rule)}</code>;
authorized from ${escapeHtml(status.authorizedFrom ?? '—')} until ${escapeHtml(status.until ?? 'open-ended')}${status.lastAuthorizedDay ? ` (last authorized day ${escapeHtml(status.lastAuthorizedDay)})` : ''}${status.windowEnd && status.windowEnd !== status.until ? `; the window ends ${escapeHtml(status.windowEnd)}` : ''}${status.resumesOn ? `; resumes on ${escapeHtml(status.resumesOn)}` : ''}</p>
<p>${escapeHtml(status.explanation)}</p>
${pending ? `<p>Pending conditions:</p><ul>${pending}</ul>` : ''}
<p>Basis:</p><ul>${basis}</ul>
<h2>Timeline</h2>
${timelineSvg(input.timeline, input.entries)}
<h2>Events (${input.entries.length})</h2>
<table><thead><tr>${AUDIT_COLUMNS.map((c) => `<th>${c}</th>`).join('')}</tr></thead>
<tbody>
${rows}
</tbody></table>
</body></html>
`;
}

const DAY = 86_400_000;

/** Authorization intervals as coloured bands over valid time, notices and TDP releases as marks. */
function timelineSvg(intervals: TimelineInterval[], entries: AuditEntry[]): string {
  const marks = entries
    .filter(
      (e) =>
        !e.retractedBy &&
        e.validDate &&
        (e.type === 'NoticeReceived' || e.type === 'TechnicalDataPackageReleased'),
    )
    .map((e) => ({
      date: e.validDate as string,
      label: e.type === 'NoticeReceived' ? `notice ${e.documentRef ?? ''}` : 'TDP release',
    }));
  const dates = [
    ...intervals.flatMap((i) => [i.from, i.until]),
    ...marks.map((m) => m.date),
  ].filter((d): d is string => d !== null);
  if (dates.length === 0) return '<p>No dated facts yet.</p>';
  const min = Math.min(...dates.map(Date.parse)) - 180 * DAY;
  const max = Math.max(...dates.map(Date.parse)) + 180 * DAY;
  const width = 1000;
  const x = (date: string | null, fallback: number) =>
    date === null ? fallback : ((Date.parse(date) - min) / (max - min)) * width;
  const bands = intervals
    .map((i) => {
      const x1 = x(i.from, 0);
      const x2 = x(i.until, width);
      return `<rect x="${x1.toFixed(1)}" y="40" width="${Math.max(1, x2 - x1).toFixed(1)}" height="40" fill="${COLORS[i.status] ?? '#757575'}"><title>${escapeHtml(`${i.status}: ${i.from ?? '…'} – ${i.until ?? '…'}`)}</title></rect>
<text x="${(x1 + 4).toFixed(1)}" y="65" font-size="12" fill="#fff">${escapeHtml(i.status)}</text>`;
    })
    .join('\n');
  const ticks = marks
    .map((m, n) => {
      const mx = x(m.date, 0).toFixed(1);
      const y = 100 + (n % 4) * 16;
      return `<line x1="${mx}" y1="30" x2="${mx}" y2="${y - 10}" stroke="#212121" stroke-dasharray="3,2"/><text x="${mx}" y="${y}" font-size="11">${escapeHtml(`${m.date} ${m.label}`)}</text>`;
    })
    .join('\n');
  const years: string[] = [];
  for (let year = new Date(min).getUTCFullYear() + 1; Date.UTC(year, 0, 1) < max; year++) {
    const yx = x(`${year}-01-01`, 0).toFixed(1);
    years.push(
      `<line x1="${yx}" y1="82" x2="${yx}" y2="88" stroke="#757575"/><text x="${yx}" y="24" font-size="11" fill="#757575">${year}</text>`,
    );
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="170" viewBox="0 0 ${width} 170" role="img" aria-label="authorization timeline">
<rect x="0" y="0" width="${width}" height="170" fill="#fafafa"/>
${years.join('\n')}
${bands}
${ticks}
</svg>`;
}
