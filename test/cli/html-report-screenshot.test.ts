import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyStore } from '../../src/composition/open-ledger.ts';
import { streams } from '../../src/domain/index.ts';
import { openMemoryEventStore } from '../../src/eventstore/memory.ts';
import { generateSigningKey } from '../../src/integrity/checkpoint.ts';
import { openLedgerCheckpoints } from '../../src/integrity/ledger-checkpoints.ts';
import { ledgerProjections, ledgerQueries } from '../../src/projections/ledger-queries.ts';
import { startProjections } from '../../src/projections/runtime.ts';
import { type AuditReport, buildAuditReport } from '../../src/reports/audit-report.ts';
import { htmlReport } from '../../src/reports/html.ts';
import { CHROMIUM, openPage, type Page, screenshot } from '../support/chromium.ts';
import {
  extensionNotice,
  PROGRAM_ID,
  program,
  SUCCESSOR_SPEC,
  successorSpecification,
  tdpRelease,
} from '../support/founding-case.ts';
import { recordEvent } from '../support/recording.ts';

const skip = !existsSync(CHROMIUM);
if (skip)
  console.warn(
    `HTML report screenshot skipped: no Chromium at ${CHROMIUM} (apt-get install chromium, or set LEDGER_CHROMIUM)`,
  );

/** Where the screenshots and PDFs stay for a person to look at. */
const OUTPUT = join(import.meta.dirname, '../../test-output');
const folder = mkdtempSync(join(tmpdir(), 'ledger-report-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

/** The founding case with a shipment after the end, a retracted shipment and a backdated one. */
async function foundingCaseReport(): Promise<AuditReport> {
  const store = openMemoryEventStore();
  const spec = streams.specification(SUCCESSOR_SPEC);
  const own = streams.program(PROGRAM_ID);
  await recordEvent(store, spec, { type: 'SpecificationRegistered', data: successorSpecification });
  await recordEvent(store, own, { type: 'ProgramRegistered', data: program });
  await recordEvent(store, own, {
    type: 'NoticeReceived',
    data: { ...extensionNotice, documentSha256: 'ab'.repeat(32) },
  });
  await recordEvent(store, spec, { type: 'TechnicalDataPackageReleased', data: tdpRelease });
  await recordEvent(store, own, {
    type: 'ShipmentRecorded',
    data: { shipmentId: 'late-1', shippedOn: '2007-09-10', units: 12, customerRef: 'builder-7' },
  });
  const mistaken = await recordEvent(store, own, {
    type: 'ShipmentRecorded',
    data: { shipmentId: 'typo-1', shippedOn: '2006-01-15', units: 1 },
  });
  await recordEvent(store, own, {
    type: 'EventRetracted',
    data: {
      retractedEventId: mistaken.events[0]?.eventId ?? '',
      reason: 'entered twice by mistake',
    },
  });
  const runtime = await startProjections(store, ledgerProjections);
  const origin = 'compliance-ledger.local/ledger';
  const checkpoints = openLedgerCheckpoints(store, {
    origin,
    key: () => generateSigningKey(origin),
  });
  const report = await buildAuditReport(ledgerQueries(store, runtime), runtime, PROGRAM_ID, {
    at: '2007-06-01',
    checkpoint: (await checkpoints?.latest()) ?? null,
    headPosition: await store.headPosition(),
    verification: await verifyStore(store),
    tool: { name: 'compliance-ledger', version: '0.1.0' },
    generatedAt: '2026-12-01T00:00:00Z',
    backdatingThresholdDays: 0,
  });
  await runtime.close();
  if (!report) throw new Error('no report');
  return report;
}

const SECTIONS = [
  'summary',
  'status',
  'timeline',
  'events',
  'violations',
  'backdated',
  'verification',
  'how-to-check',
];

describe.skipIf(skip)('the audit report in headless Chromium, on screen and printed on A4', () => {
  let page: Page;
  let report: AuditReport;
  beforeAll(async () => {
    mkdirSync(OUTPUT, { recursive: true });
    report = await foundingCaseReport();
    const file = join(OUTPUT, 'audit-report.html');
    writeFileSync(file, htmlReport(report));
    page = await openPage(`file://${file}`, join(folder, 'profile'));
  }, 90_000);
  afterAll(() => page?.close());

  it('holds every section, the events in words, the retraction, the violation and the checkpoint', async () => {
    expect(report.entries.map((e) => e.type)).toContain('EventRetracted');
    expect(report.violations.map((v) => v.shipmentId)).toEqual(['late-1']);
    const found = await page.evaluate<Record<string, string>>(
      `Object.fromEntries(${JSON.stringify(SECTIONS)}.map((id) => [id, document.getElementById(id)?.innerText ?? '']))`,
    );
    for (const id of SECTIONS) expect(found[id], id).not.toBe('');
    expect(found.events).toMatch(/Notice usps-2005-12-08 from United States Postal Service/);
    expect(found.events).toMatch(/SHA-256 abab/);
    expect(found.events).toMatch(/retracted\s+by/);
    expect(found.events).toMatch(/Retracts event .*: entered twice by mistake/);
    expect(found.violations).toMatch(/late-1\s+2007-09-10\s+12\s+expired/);
    expect(found.verification).toMatch(/Tree size\s+7/);
    expect(found.verification).toMatch(/— compliance-ledger\.local\/ledger /);
    expect(found.verification).toMatch(/Verification passed: every hash chain intact: 7 events/);
    expect(found.summary).toMatch(/compliance-ledger 0\.1\.0/);
  });

  it('screen (1200 px) and A4 print (794 px wide): every timeline label inside the picture; PDFs on A4 and Letter', async () => {
    for (const [name, media, width, height] of [
      ['audit-report-screen.png', 'screen', 1200, 900],
      ['audit-report-a4-print.png', 'print', 794, 1123],
    ] as const) {
      const png = PNG.sync.read(await screenshot(page, media, width, height));
      writeFileSync(join(OUTPUT, name), PNG.sync.write(png));
      expect(png.width).toBe(width);
      const colours = new Map<string, number>();
      for (let i = 0; i < png.data.length; i += 4) {
        const key = `${png.data[i]},${png.data[i + 1]},${png.data[i + 2]}`;
        colours.set(key, (colours.get(key) ?? 0) + 1);
      }
      // The authorized band (#2e7d32) and the expired band (#c62828) of the timeline are painted.
      expect(colours.get('46,125,50') ?? 0, name).toBeGreaterThan(300);
      expect(colours.get('198,40,40') ?? 0, name).toBeGreaterThan(200);
      // No label of the timeline runs past the picture's edges, nor the page's.
      const overflow = await page.evaluate<string[]>(`(() => {
        const svg = document.querySelector('svg');
        const box = svg.getBoundingClientRect();
        return [...svg.querySelectorAll('text')].filter((t) => {
          const r = t.getBoundingClientRect();
          return r.left < box.left - 0.5 || r.right > box.right + 0.5 || r.right > document.documentElement.clientWidth;
        }).map((t) => t.textContent);
      })()`);
      expect(overflow, name).toEqual([]);
      // Nothing wider than the page: no clipped table or picture.
      expect(
        await page.evaluate<number>('document.documentElement.scrollWidth'),
        name,
      ).toBeLessThanOrEqual(width);
    }
    for (const [name, paperWidth, paperHeight] of [
      ['audit-report-a4.pdf', 8.27, 11.69],
      ['audit-report-letter.pdf', 8.5, 11],
    ] as const) {
      const { data } = await page.send<{ data: string }>('Page.printToPDF', {
        paperWidth,
        paperHeight,
        printBackground: true,
      });
      const pdf = Buffer.from(data, 'base64');
      writeFileSync(join(OUTPUT, name), pdf);
      expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
      // Each section starts a page: four sections, at least four pages.
      expect(
        (pdf.toString('latin1').match(/\/Type\s*\/Page[^s]/g) ?? []).length,
        name,
      ).toBeGreaterThanOrEqual(3);
    }
  }, 120_000);
});
