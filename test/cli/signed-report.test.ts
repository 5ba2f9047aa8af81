import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import {
  recordFoundingCase,
  registerSigner,
  sign,
  signCheckpoint,
  startApi,
  type TestApi,
} from '../api/support.ts';
import { CHROMIUM, openPage, screenshot } from '../support/chromium.ts';
import { PROGRAM_ID } from '../support/founding-case.ts';

const skip = !existsSync(CHROMIUM) && process.env.LEDGER_REQUIRE_BROWSER !== '1';
/** Where the screenshot and PDF stay for a person to look at. */
const OUTPUT = join(import.meta.dirname, '../../test-output');
const folder = mkdtempSync(join(tmpdir(), 'ledger-signed-report-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

const STATEMENT =
  /Approved by Jane Doe on \d{4}-\d\d-\d\d \d\d:\d\d UTC: release date checked against the USPS letter/;

describe('the audit report of the founding case with an approval signature', () => {
  let api: TestApi;
  let ids: { notice: string; tdp: string; signature: string };
  const report = async (format: string) => {
    const response = await api.get(
      `/v1/programs/${PROGRAM_ID}/audit-report?format=${format}&at=2007-06-01`,
      {
        as: 'auditor',
      },
    );
    expect(response.statusCode, response.body).toBe(200);
    return response.body;
  };

  beforeAll(async () => {
    api = await startApi();
    const seeded = await recordFoundingCase(api, { tdp: true });
    await registerSigner(api);
    const notice = seeded.notice.eventId;
    const tdp = seeded.tdp?.eventId as string;
    const signature = await sign(
      api,
      [notice, tdp],
      'approval',
      'release date checked against the USPS letter',
    );
    // Reports cite the last kept checkpoint (reading never signs): sign one that holds them.
    await signCheckpoint(api);
    ids = { notice, tdp, signature: signature.eventId };
  }, 120_000);
  afterAll(() => api?.close());

  it('JSON, CSV and Markdown show the signature beside each event it signs', async () => {
    const json = JSON.parse(await report('json'));
    for (const id of [ids.notice, ids.tdp]) {
      const entry = json.entries.find((e: { eventId: string }) => e.eventId === id);
      expect(entry.signatures).toEqual([
        expect.objectContaining({
          signatureId: ids.signature,
          signer: 'Jane Doe',
          meaning: 'approval',
          hash: entry.hash,
        }),
      ]);
    }
    const lines = (await report('csv')).trim().split('\n');
    const signatureLines = lines.filter((l) => l.startsWith('signature,'));
    expect(signatureLines).toHaveLength(2);
    for (const [n, id] of [ids.notice, ids.tdp].entries()) {
      const line = signatureLines[n] as string;
      expect(line).toMatch(STATEMENT);
      expect(line).toContain(',Jane Doe,approval,');
      expect(line).toContain(id);
      // Each signature row follows the row of the event it signs.
      expect(lines[lines.indexOf(line) - 1]).toMatch(new RegExp(`^event,.*${id}`));
    }
    const md = await report('md');
    expect(md.split('\n').filter((l) => l.startsWith('| signature |'))).toHaveLength(2);
  });

  describe.skipIf(skip)('rendered in Chromium', () => {
    it('shows the approval in the basis and the events, and prints on A4', async () => {
      mkdirSync(OUTPUT, { recursive: true });
      const file = join(OUTPUT, 'audit-report-signed.html');
      writeFileSync(file, await report('html'));
      const page = await openPage(`file://${file}`, join(folder, 'profile'));
      onTestFinished(() => page.close());
      const text = await page.evaluate<Record<string, string>>(
        `({ status: document.getElementById('status').parentElement.innerText, events: document.getElementById('events').innerText })`,
      );
      expect(text.status).toMatch(STATEMENT);
      expect(text.events?.match(new RegExp(STATEMENT.source, 'g'))).toHaveLength(2);
      expect(text.events).toContain(`signature ${ids.signature}`);

      const png = PNG.sync.read(await screenshot(page, 'print', 794, 1123));
      writeFileSync(join(OUTPUT, 'audit-report-signed-a4-print.png'), PNG.sync.write(png));
      expect(png.width).toBe(794);
      // The signature's band (#e3f2fd) is painted.
      let band = 0;
      for (let i = 0; i < png.data.length; i += 4)
        if (png.data[i] === 227 && png.data[i + 1] === 242 && png.data[i + 2] === 253) band++;
      expect(band).toBeGreaterThan(1000);
      expect(
        await page.evaluate<number>('document.documentElement.scrollWidth'),
      ).toBeLessThanOrEqual(794);
      const { data } = await page.send<{ data: string }>('Page.printToPDF', {
        paperWidth: 8.27,
        paperHeight: 11.69,
        printBackground: true,
      });
      const pdf = Buffer.from(data, 'base64');
      writeFileSync(join(OUTPUT, 'audit-report-signed-a4.pdf'), pdf);
      expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    }, 120_000);
  });
});
