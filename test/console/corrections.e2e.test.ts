import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  expectRecorded,
  keyIdOf,
  paths,
  recordFoundingCase,
  startApi,
  type TestApi,
} from '../api/support.ts';
import { extensionNotice, PROGRAM_ID } from '../support/founding-case.ts';

/** A correction and the person behind a key on the console's audit trail, in headless Chromium. */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CHROMIUM = process.env.LEDGER_CHROMIUM ?? '/usr/bin/chromium';
const required = process.env.LEDGER_REQUIRE_BROWSER === '1';
const missing = !existsSync(CHROMIUM);
const dir = mkdtempSync(join(tmpdir(), 'ledger-console-corrections-'));
const REASON = 'the letter was received on 2005-12-09, not 2005-12-08';

describe.skipIf(missing && !required)('corrections on the console', () => {
  let api: TestApi;
  let context: BrowserContext;
  let page: Page;
  let base = '';
  let originalId = '';
  let correctionId = '';

  beforeAll(async () => {
    if (missing) throw new Error(`LEDGER_REQUIRE_BROWSER=1 but no Chromium at ${CHROMIUM}`);
    await build({ configFile: join(ROOT, 'console/vite.config.ts'), logLevel: 'error' });
    api = await startApi();
    const added = await api.post(
      '/v1/people',
      { name: 'Jane Doe', email: 'jane.doe@example.com', keyIds: [keyIdOf(api.keys.recorder)] },
      { as: 'admin' },
    );
    expect(added.statusCode, added.body).toBe(201);
    originalId = (await recordFoundingCase(api)).notice.eventId;
    expectRecorded(await api.post(paths.retractions(originalId), { reason: REASON }));
    correctionId = expectRecorded(
      await api.post(paths.program('notices'), {
        ...extensionNotice,
        receivedOn: '2005-12-09',
        corrects: originalId,
      }),
    ).eventId;
    base = await api.app.listen({ port: 0, host: '127.0.0.1' });
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

  it('shows the original with why, who and when, linked both ways to its correction', async () => {
    await page.goto(`${base}/console/`);
    await page.getByLabel('API key').fill(api.keys.auditor);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.goto(`${base}/console/#/program/${PROGRAM_ID}`);
    const original = page.locator(`tr[id="event-${originalId}"]`);
    const correction = page.locator(`tr[id="event-${correctionId}"]`);
    await expect
      .poll(() => original.locator('.change').textContent())
      .toMatch(
        new RegExp(
          `^Retracted on .* UTC by Jane Doe \\(key recorder-client\\): ${REASON}; corrected by event ${correctionId}$`,
        ),
      );
    expect(await original.textContent()).toContain('Jane Doe (key recorder-client)');
    expect(await original.getByRole('button', { name: 'corrected by a later event' }).count()).toBe(
      1,
    );
    expect(await correction.getByRole('button', { name: 'corrects an event' }).count()).toBe(1);
  });
});
