import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  recordFoundingCase,
  registerSigner,
  SIGNING_PASSPHRASE,
  startApi,
  type TestApi,
} from '../api/support.ts';
import { PROGRAM_ID } from '../support/founding-case.ts';

/** "Sign selected events" on the audit trail, in headless Chromium against a listening server. */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CHROMIUM = process.env.LEDGER_CHROMIUM ?? '/usr/bin/chromium';
const required = process.env.LEDGER_REQUIRE_BROWSER === '1';
const missing = !existsSync(CHROMIUM);
const SHOTS = join(ROOT, 'test-output');
const dir = mkdtempSync(join(tmpdir(), 'ledger-console-signing-'));

describe.skipIf(missing && !required)('signing from the console', () => {
  let api: TestApi;
  let context: BrowserContext;
  let page: Page;
  let base = '';
  let noticeId = '';

  beforeAll(async () => {
    if (missing) throw new Error(`LEDGER_REQUIRE_BROWSER=1 but no Chromium at ${CHROMIUM}`);
    await build({ configFile: join(ROOT, 'console/vite.config.ts'), logLevel: 'error' });
    api = await startApi();
    noticeId = (await recordFoundingCase(api)).notice.eventId;
    await registerSigner(api);
    base = await api.app.listen({ port: 0, host: '127.0.0.1' });
    mkdirSync(SHOTS, { recursive: true });
    context = await chromium.launchPersistentContext(join(dir, 'profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
      viewport: { width: 1366, height: 900 },
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(15_000);
  }, 240_000);

  afterAll(async () => {
    await context?.close();
    await api?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('selects an event, asks the passphrase, records the approval and shows it; a wrong one records nothing', async () => {
    const requests: string[] = [];
    page.on('request', (r) => requests.push(`${r.url()} ${r.postData() ?? ''}`));
    await page.goto(`${base}/console/`);
    await page.getByLabel('API key').fill(api.keys.admin);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.goto(`${base}/console/#/program/${PROGRAM_ID}`);
    await page.getByRole('heading', { name: /^Status on/ }).waitFor();

    const row = page.locator(`tr[id="event-${noticeId}"]`);
    await row.getByRole('checkbox').check();
    const form = page.getByRole('form', { name: 'Sign selected events' });
    await expect.poll(() => form.getByRole('heading').textContent()).toBe('Sign 1 selected event');

    // A wrong passphrase: refused, shown, nothing recorded, the field emptied.
    const before = await api.eventCount();
    await form.getByLabel('Meaning').selectOption('approval');
    await form.getByLabel('Your signing passphrase').fill('not my passphrase');
    await form.getByRole('button', { name: 'Sign' }).click();
    await expect.poll(() => form.getByRole('alert').textContent()).toMatch(/passphrase is wrong/);
    expect(await form.getByLabel('Your signing passphrase').inputValue()).toBe('');
    expect(await api.eventCount()).toBe(before);

    await form.getByLabel('Comment (optional)').fill('checked against the letter');
    await form.getByLabel('Your signing passphrase').fill(SIGNING_PASSPHRASE);
    await form.getByRole('button', { name: 'Sign' }).click();
    await expect
      .poll(() => row.locator('.signature').textContent())
      .toMatch(
        /^Approved by Jane Doe on \d{4}-\d\d-\d\d \d\d:\d\d UTC: checked against the letter$/,
      );
    // The form is gone with the selection; the status basis shows the signature too.
    expect(await form.count()).toBe(0);
    await expect
      .poll(() =>
        page.locator('section[aria-labelledby="status-title"] .signature').first().textContent(),
      )
      .toMatch(/^Approved by Jane Doe/);
    expect(await api.eventCount()).toBe(before + 1);
    await page.screenshot({ path: join(SHOTS, 'console-signed-audit-trail.png'), fullPage: true });

    // The passphrase travelled only in the signing request's body, never in a URL, never kept.
    const carrying = requests.filter((r) => r.includes(SIGNING_PASSPHRASE));
    expect(carrying).toHaveLength(1);
    expect(carrying[0]).toMatch(/\/v1\/signatures /);
    const stored = await page.evaluate(() =>
      JSON.stringify({ ...sessionStorage, ...localStorage }),
    );
    expect(stored).not.toContain(SIGNING_PASSPHRASE);
  }, 120_000);
});
