import { type AuditEntry, who } from '../../projections/audit-trail.ts';
import type { TimelineInterval } from '../../projections/timeline.ts';
import { type AuditReport, grownSince } from './audit-report.ts';
import { limitsInWords } from './formats.ts';
import { escapeHtml } from './neutralize.ts';

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

const CSS = `
body{font-family:system-ui,sans-serif;margin:2rem;color:#212121;font-size:14px}
h1{font-size:1.4rem} h2{font-size:1.1rem;margin-top:2rem;border-bottom:1px solid #ccc}
.status{display:inline-block;padding:.2rem .6rem;border-radius:4px;color:#fff}
table{border-collapse:collapse;font-size:.75rem;width:100%;table-layout:fixed} td,th{border:1px solid #ccc;padding:.2rem .4rem;text-align:left;vertical-align:top;overflow-wrap:anywhere}
th{background:#f5f5f5} code,.hash{font-family:ui-monospace,monospace;overflow-wrap:anywhere}
.hash{font-size:.65rem;color:#555}
tr.retracted td{background:#fff3e0} .signature{margin-top:.3rem;padding:.15rem .3rem;border-left:3px solid #1565c0;background:#e3f2fd} .change{margin-top:.3rem;font-style:italic} .badge{display:inline-block;padding:0 .3rem;border-radius:3px;background:#e65100;color:#fff;font-size:.65rem}
dl{display:grid;grid-template-columns:max-content auto;gap:.2rem 1rem} dt{font-weight:600}
.ok{color:#2e7d32;font-weight:600} .failed{color:#c62828;font-weight:600}
pre{background:#fafafa;border:1px solid #ddd;padding:.5rem;white-space:pre-wrap;overflow-wrap:anywhere;font-size:.75rem}
svg{max-width:100%;height:auto}
@page{margin:14mm}
@media print{
  body{margin:0;font-size:10pt}
  section{break-before:page} section.first{break-before:auto}
  tr,td,th,li,pre,svg,dl{break-inside:avoid}
  thead{display:table-header-group}
  a{color:inherit;text-decoration:none}
}`;

/**
 * The auditor's report: one self-contained HTML file (inline CSS and SVG, nothing fetched), for
 * the screen and for print on A4 or Letter: each section starts a page, no row is split across
 * pages, and the timeline scales to the page with every label inside the picture.
 */
export function htmlReport(report: AuditReport): string {
  const { program, status, checkpoint, verification } = report;
  const signed = new Map(report.entries.map((e) => [e.eventId, e]));
  const basis = status.basis
    .map((b) => {
      const entry = signed.get(b.eventId);
      return `<li><code>${escapeHtml(b.eventId)}</code> @${b.position} ${escapeHtml(b.type)} (${escapeHtml(b.roles.join(', '))})${entry ? signaturesHtml(entry) : ''}</li>`;
    })
    .join('');
  const pending = status.pendingConditions
    .map((p) => `<li>${escapeHtml(p.description)}</li>`)
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Audit report: ${escapeHtml(program.programId)}</title>
<style>${CSS}</style></head><body>
<section class="first" id="summary">
<h1>Audit report: ${escapeHtml(program.programId)}</h1>
<dl>
<dt>Supplier</dt><dd>${escapeHtml(program.supplierId)}</dd>
<dt>Specification</dt><dd>${escapeHtml(program.specificationId)}</dd>
<dt>Channel</dt><dd>${escapeHtml(program.channel)}</dd>
<dt>Regulator</dt><dd>${escapeHtml(program.regulator)}</dd>
<dt>As known at</dt><dd>${escapeHtml(report.asKnownAt)}</dd>
<dt>Signed checkpoint</dt><dd>${checkpoint ? `tree size ${checkpoint.treeSize}, root <code>${escapeHtml(checkpoint.rootHash)}</code>${grownSince(checkpoint.eventsSince)}` : 'none signed yet'}</dd>
<dt>Verification</dt><dd class="${verification.ok ? 'ok' : 'failed'}">${verification.ok ? 'passed' : 'FAILED'}: ${escapeHtml(verification.detail)}</dd>
<dt>Generated</dt><dd>${escapeHtml(report.generatedAt)} by ${escapeHtml(report.tool.name)} ${escapeHtml(report.tool.version)}</dd>
</dl>
<h2 id="status">Status on ${escapeHtml(status.at)}</h2>
<p><span class="status" style="background:${COLORS[status.status] ?? '#757575'}">${escapeHtml(status.status)}</span> rule <code>${escapeHtml(status.rule)}</code>;
authorized from ${escapeHtml(status.authorizedFrom ?? '—')} until ${escapeHtml(status.until ?? 'open-ended')}${status.lastAuthorizedDay ? ` (last authorized day ${escapeHtml(status.lastAuthorizedDay)})` : ''}${status.windowEnd && status.windowEnd !== status.until ? `; the window ends ${escapeHtml(status.windowEnd)}` : ''}${status.resumesOn ? `; resumes on ${escapeHtml(status.resumesOn)}` : ''}</p>
<p>${escapeHtml(status.explanation)}</p>
${pending ? `<p>Pending conditions:</p><ul>${pending}</ul>` : ''}
<p>Basis:</p><ul>${basis}</ul>
<h2 id="timeline">Timeline</h2>
${timelineSvg(report.timeline, report.entries)}
<ul>${report.timeline.map((i) => `<li>${escapeHtml(i.status)} [${escapeHtml(i.from ?? '…')}, ${escapeHtml(i.until ?? '…')}): ${escapeHtml(i.explanation)}</li>`).join('')}</ul>
</section>
<section id="events">
<h2>Events (${report.entries.length})</h2>
<table><colgroup><col style="width:5%"><col style="width:13%"><col style="width:14%"><col style="width:9%"><col style="width:29%"><col style="width:12%"><col style="width:18%"></colgroup>
<thead><tr><th>#</th><th>Recorded</th><th>Event</th><th>Valid date</th><th>Content</th><th>Document</th><th>Identity and hashes</th></tr></thead>
<tbody>
${report.entries.map(eventRow).join('\n')}
</tbody></table>
</section>
<section id="violations">
<h2>Violations (${report.violations.length})</h2>
${
  report.violations.length === 0
    ? '<p>No shipment outside an authorization.</p>'
    : `<table><thead><tr><th>#</th><th>Shipment</th><th>Shipped on</th><th>Units</th><th>As known now</th><th>As known when recorded</th><th>Why, and the limits</th></tr></thead><tbody>${report.violations
        .map(
          (v) =>
            `<tr><td>${v.position}</td><td>${escapeHtml(v.shipmentId)}</td><td>${escapeHtml(v.shippedOn)}</td><td>${v.units}</td><td>${escapeHtml(`${v.asKnownNow.status} (${v.asKnownNow.rule})`)}</td><td>${escapeHtml(`${v.asKnownWhenRecorded.status} (${v.asKnownWhenRecorded.rule})`)}</td><td>${escapeHtml(v.asKnownNow.explanation + limitsInWords(v.asKnownNow.limits))}</td></tr>`,
        )
        .join('')}</tbody></table>`
}
<h2 id="backdated">Backdated facts (${report.backdated.length}, recorded more than ${report.backdatingThresholdDays} days after their valid date)</h2>
${
  report.backdated.length === 0
    ? '<p>None.</p>'
    : `<table><thead><tr><th>#</th><th>Type</th><th>Valid date</th><th>Recorded at</th><th>Days later</th></tr></thead><tbody>${report.backdated
        .map(
          (b) =>
            `<tr><td>${b.position}</td><td>${escapeHtml(b.type)}</td><td>${escapeHtml(b.validDate)}</td><td>${escapeHtml(b.recordedAt)}</td><td>${b.lagDays}</td></tr>`,
        )
        .join('')}</tbody></table>`
}
</section>
<section id="verification">
<h2>Signed checkpoint and verification</h2>
${
  checkpoint
    ? `<dl><dt>Origin</dt><dd>${escapeHtml(checkpoint.origin)}</dd><dt>Tree size</dt><dd>${checkpoint.treeSize}</dd><dt>Root</dt><dd><code>${escapeHtml(checkpoint.rootHash)}</code></dd><dt>Signature</dt><dd><code>${checkpoint.signatures.map(escapeHtml).join('<br>')}</code></dd></dl>
<p>The signed note, to keep outside the system:</p><pre>${escapeHtml(checkpoint.note)}</pre>`
    : '<p>No checkpoint was signed yet.</p>'
}
<p class="${verification.ok ? 'ok' : 'failed'}">Verification ${verification.ok ? 'passed' : 'FAILED'}: ${escapeHtml(verification.detail)}</p>
<h2 id="how-to-check">How to check this report</h2>
<ol>${report.howToCheck.map((step) => `<li>${escapeHtml(step)}</li>`).join('')}</ol>
</section>
</body></html>
`;
}

function eventRow(e: AuditEntry): string {
  const retraction = e.retractedBy
    ? `<br><span class="badge">retracted</span> by <code>${escapeHtml(e.retractedBy)}</code>`
    : e.retracts
      ? `<br>retracts <code>${escapeHtml(e.retracts)}</code>`
      : '';
  const correction = [
    e.correctedBy ? `<br>corrected by <code>${escapeHtml(e.correctedBy)}</code>` : '',
    e.corrects ? `<br>corrects <code>${escapeHtml(e.corrects)}</code>` : '',
  ].join('');
  const change = e.change ? `<div class="change">${escapeHtml(e.change)}</div>` : '';
  return `<tr${e.retractedBy ? ' class="retracted"' : ''}><td>${e.position}</td><td>${escapeHtml(e.recordedAt)}<br>by ${escapeHtml(who(e))}</td><td>${escapeHtml(e.type)}<br><span class="hash">${escapeHtml(e.stream)} #${e.revision}</span>${retraction}${correction}</td><td>${escapeHtml(e.validDate ?? '—')}</td><td>${escapeHtml(e.content)}${change}${signaturesHtml(e)}</td><td>${escapeHtml(e.documentRef ?? '—')}${e.documentSha256 ? `<br><span class="hash">SHA-256 ${escapeHtml(e.documentSha256)}</span>` : ''}</td><td class="hash">id ${escapeHtml(e.eventId)}<br>hash ${escapeHtml(e.hash)}<br>prev ${escapeHtml(e.prevHash)}</td></tr>`;
}

/** Each signature on the event in words (11.50), saying so when the event was retracted since. */
function signaturesHtml(e: AuditEntry): string {
  return e.signatures
    .map(
      (s) =>
        `<div class="signature">${escapeHtml(s.statement)}${e.retractedBy ? ' (the event was retracted after it was signed)' : ''}<br><span class="hash">signature ${escapeHtml(s.signatureId)} @${s.position}, on hash ${escapeHtml(s.hash)}</span></div>`,
    )
    .join('');
}

const DAY = 86_400_000;
const WIDTH = 1000;
/** A generous estimate of a label's width in the SVG's own units (11 px system-ui). */
const labelWidth = (text: string) => text.length * 6.6 + 8;

/**
 * Authorization intervals as coloured bands over valid time, notices and TDP releases as marks.
 * Each mark's label gets its own line and is anchored so it stays inside the picture.
 */
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
      label: `${e.validDate} ${e.type === 'NoticeReceived' ? `notice ${e.documentRef ?? ''}` : 'TDP release'}`,
    }));
  const dates = [
    ...intervals.flatMap((i) => [i.from, i.until]),
    ...marks.map((m) => m.date),
  ].filter((d): d is string => d !== null);
  if (dates.length === 0) return '<p>No dated facts yet.</p>';
  const min = Math.min(...dates.map(Date.parse)) - 180 * DAY;
  const max = Math.max(...dates.map(Date.parse)) + 180 * DAY;
  const x = (date: string | null, fallback: number) =>
    date === null ? fallback : ((Date.parse(date) - min) / (max - min)) * WIDTH;
  const bands = intervals
    .map((i) => {
      const x1 = x(i.from, 0);
      const x2 = x(i.until, WIDTH);
      const fits = labelWidth(i.status) < x2 - x1;
      return `<rect x="${x1.toFixed(1)}" y="40" width="${Math.max(1, x2 - x1).toFixed(1)}" height="40" fill="${COLORS[i.status] ?? '#757575'}"><title>${escapeHtml(`${i.status}: ${i.from ?? '…'} – ${i.until ?? '…'}`)}</title></rect>${
        fits
          ? `\n<text x="${(x1 + 4).toFixed(1)}" y="65" font-size="12" fill="#fff">${escapeHtml(i.status)}</text>`
          : ''
      }`;
    })
    .join('\n');
  const ticks = marks
    .map((m, n) => {
      const mx = x(m.date, 0);
      const y = 104 + n * 16;
      const anchorEnd = mx + labelWidth(m.label) > WIDTH;
      const tx = anchorEnd ? mx - 3 : mx + 3;
      return `<line x1="${mx.toFixed(1)}" y1="30" x2="${mx.toFixed(1)}" y2="${y - 4}" stroke="#212121" stroke-dasharray="3,2"/><text x="${tx.toFixed(1)}" y="${y}" font-size="11"${anchorEnd ? ' text-anchor="end"' : ''}>${escapeHtml(m.label)}</text>`;
    })
    .join('\n');
  const years: string[] = [];
  for (let year = new Date(min).getUTCFullYear() + 1; Date.UTC(year, 0, 1) < max; year++) {
    const yx = x(`${year}-01-01`, 0).toFixed(1);
    years.push(
      `<line x1="${yx}" y1="82" x2="${yx}" y2="88" stroke="#757575"/><text x="${yx}" y="24" font-size="11" fill="#757575" text-anchor="middle">${year}</text>`,
    );
  }
  const height = 104 + marks.length * 16 + 8;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" role="img" aria-label="authorization timeline">
<rect x="0" y="0" width="${WIDTH}" height="${height}" fill="#fafafa"/>
${years.join('\n')}
${bands}
${ticks}
</svg>`;
}
