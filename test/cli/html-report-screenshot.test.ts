import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, describe, expect, it } from 'vitest';
import { auditTrail } from '../../projections/audit-trail.ts';
import { timeline } from '../../projections/timeline.ts';
import { htmlReport } from '../../src/cli/html-report.ts';
import { evaluate, streams } from '../../src/domain/index.ts';
import { createMemoryEventStore } from '../../src/eventstore/memory.ts';
import {
  extensionNotice,
  PROGRAM_ID,
  program,
  SUCCESSOR_SPEC,
  successorSpecification,
  tdpRelease,
} from '../support/founding-case.ts';
import { recordEvent } from '../support/recording.ts';

const CHROMIUM = process.env.LEDGER_CHROMIUM ?? '/usr/bin/chromium';
const skip = !existsSync(CHROMIUM);
if (skip)
  console.warn(
    `HTML report screenshot skipped: no Chromium at ${CHROMIUM} (apt-get install chromium, or set LEDGER_CHROMIUM)`,
  );

const folder = mkdtempSync(join(tmpdir(), 'ledger-report-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

describe.skipIf(skip)('the HTML audit report in headless Chromium', () => {
  it('renders a non-blank page with the timeline bands', async () => {
    const store = createMemoryEventStore();
    await recordEvent(store, streams.specification(SUCCESSOR_SPEC), {
      type: 'SpecificationRegistered',
      data: successorSpecification,
    });
    await recordEvent(store, streams.program(PROGRAM_ID), {
      type: 'ProgramRegistered',
      data: program,
    });
    await recordEvent(store, streams.program(PROGRAM_ID), {
      type: 'NoticeReceived',
      data: extensionNotice,
    });
    await recordEvent(store, streams.specification(SUCCESSOR_SPEC), {
      type: 'TechnicalDataPackageReleased',
      data: tdpRelease,
    });
    const events = await store.readAll();
    const facts = events.map((e) => ({
      ...e,
      recordedAt: e.metadata.recordedAt,
    })) as unknown as Parameters<typeof evaluate>[0];
    const html = htmlReport({
      program,
      status: evaluate(facts, { at: '2007-06-01' }),
      timeline: timeline(facts),
      entries: auditTrail(events),
      asKnownAt: 'now',
      generatedAt: '2026-11-26T00:00:00Z',
    });
    const page = join(folder, 'report.html');
    const shot = join(folder, 'report.png');
    writeFileSync(page, html);
    execFileSync(
      CHROMIUM,
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        `--user-data-dir=${join(folder, 'profile')}`,
        '--hide-scrollbars',
        '--window-size=1200,900',
        `--screenshot=${shot}`,
        `file://${page}`,
      ],
      { stdio: 'ignore', timeout: 60_000 },
    );
    if (process.env.LEDGER_REPORT_SCREENSHOT)
      writeFileSync(process.env.LEDGER_REPORT_SCREENSHOT, readFileSync(shot));

    const png = PNG.sync.read(readFileSync(shot));
    expect([png.width, png.height]).toEqual([1200, 900]);
    const colours = new Map<string, number>();
    for (let i = 0; i < png.data.length; i += 4) {
      const key = `${png.data[i]},${png.data[i + 1]},${png.data[i + 2]}`;
      colours.set(key, (colours.get(key) ?? 0) + 1);
    }
    const white = colours.get('255,255,255') ?? 0;
    expect(white / (png.width * png.height)).toBeLessThan(0.98);
    // The authorized band (#2e7d32) and the expired band (#c62828) of the timeline are painted.
    expect(colours.get('46,125,50') ?? 0).toBeGreaterThan(1000);
    expect(colours.get('198,40,40') ?? 0).toBeGreaterThan(500);
  }, 90_000);
});
