/// <reference lib="dom" />
// The page.evaluate callbacks run in the browser, so the test sees its globals too.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addKey } from '../../src/api/credentials.ts';
import { EXAMPLE_PROGRAM } from '../../src/cli/seed-example.ts';
import { firstStartKeys } from '../support/first-start-keys.ts';
import { ledgerBinary } from '../support/ledger-binary.ts';

/**
 * The console in headless Chromium against the real server (`src/main.ts`) listening on a
 * SQLite ledger seeded with the founding case: what a compliance officer and an auditor do.
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CHROMIUM = process.env.LEDGER_CHROMIUM ?? '/usr/bin/chromium';
const required = process.env.LEDGER_REQUIRE_BROWSER === '1';
const missing = !existsSync(CHROMIUM);
if (missing && !required)
  console.warn(
    `console browser tests skipped: no Chromium at ${CHROMIUM} (apt-get install chromium, or set LEDGER_CHROMIUM; LEDGER_REQUIRE_BROWSER=1 makes this a failure)`,
  );
const SHOTS = join(ROOT, 'test-output');
const LAPTOP = { width: 1366, height: 900 };
const PHONE = { width: 390, height: 844 };
const WAIT_MS = 20_000;

const dir = mkdtempSync(join(tmpdir(), 'ledger-console-'));
const keys: Record<string, string> = {};
let server: ChildProcess;
let serverOutput = '';
let base = '';
let context: BrowserContext;
let page: Page;

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const address = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  if (!address || typeof address === 'string') throw new Error('no port');
  return address.port;
}

async function startServer(): Promise<void> {
  const port = await freePort();
  server = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      HOST: '127.0.0.1',
      PORT: String(port),
      LEDGER_STORE: `sqlite:${join(dir, 'ledger.sqlite')}`,
      LEDGER_CREDENTIALS: join(dir, 'credentials.json'),
      LEDGER_CHECKPOINT_KEY: join(dir, 'checkpoint-key'),
      // Every request is logged, so the test can show that no line carries a key.
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  server.stdout?.on('data', (chunk) => {
    serverOutput += chunk;
  });
  server.stderr?.on('data', (chunk) => {
    serverOutput += chunk;
  });
  base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    if (server.exitCode !== null) throw new Error(`server exited: ${serverOutput}`);
    if (Date.now() > deadline) throw new Error(`server did not listen: ${serverOutput}`);
    try {
      if ((await fetch(`${base}/healthz`)).ok) break;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  Object.assign(keys, firstStartKeys(join(dir, 'credentials.json')));
}

const api = async <T>(path: string): Promise<T> => {
  const response = await fetch(`${base}${path}`, {
    headers: { authorization: `Bearer ${keys.auditor}` },
  });
  expect(response.status).toBe(200);
  return (await response.json()) as T;
};

/** axe-core in the page: no serious or critical accessibility violation. */
async function expectAccessible(what: string): Promise<void> {
  await page.addScriptTag({
    path: createRequire(import.meta.url).resolve('axe-core/axe.min.js'),
  });
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: () => Promise<{ violations: unknown[] }> } })
      .axe;
    return (await axe.run()).violations as {
      id: string;
      impact: string;
      nodes: { target: string[] }[];
    }[];
  });
  const grave = violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}) at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  expect(grave, `accessibility of ${what}`).toEqual([]);
}

const shoot = (name: string) =>
  page.screenshot({ path: join(SHOTS, `console-${name}.png`), fullPage: false });

async function signIn(role: string): Promise<void> {
  await page.goto(`${base}/console/`);
  await page.getByLabel('API key').fill(keys[role] as string);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect
    .poll(() => page.getByRole('navigation', { name: 'Pages', exact: true }).isVisible())
    .toBe(true);
}

const openProgram = async (query: string) => {
  await page.goto(`${base}/console/#/program/${EXAMPLE_PROGRAM}?${query}`);
  await page.getByRole('heading', { name: /^Status on/ }).waitFor();
};
const statusHeading = () => page.getByRole('heading', { name: /^Status on/ }).textContent();
const statusPanel = () => page.locator('section[aria-labelledby="status-title"]').textContent();

describe.skipIf(missing && !required)('the compliance console in headless Chromium', () => {
  beforeAll(async () => {
    if (missing) throw new Error(`LEDGER_REQUIRE_BROWSER=1 but no Chromium at ${CHROMIUM}`);
    // The console as its sources are now, into the folder the server serves.
    await build({ configFile: join(ROOT, 'console/vite.config.ts'), logLevel: 'error' });
    // Seeding begins the checkpoint history itself, with the key the server then signs with.
    const seeded = await ledgerBinary(ROOT)(
      '--store',
      `sqlite:${join(dir, 'ledger.sqlite')}`,
      'seed-example',
      '--key-dir',
      join(dir, 'checkpoint-key'),
    );
    expect(seeded.code, seeded.stderr).toBe(0);
    await startServer();
    expect(Object.keys(keys).sort()).toEqual(['auditor', 'recorder']);
    mkdirSync(SHOTS, { recursive: true });
    context = await chromium.launchPersistentContext(join(dir, 'profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
      viewport: LAPTOP,
      acceptDownloads: true,
      // Only so the test can inject axe-core: the console itself runs under its strict CSP.
      bypassCSP: true,
    });
    page = context.pages()[0] ?? (await context.newPage());
    // Shorter than a test's time, so a step that waits in vain is the one named in the failure.
    page.setDefaultTimeout(10_000);
  }, 180_000);

  afterAll(async () => {
    await context?.close();
    if (server && server.exitCode === null) {
      const exited = new Promise((resolve) => server.once('exit', resolve));
      server.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the console with a strict content security policy', async () => {
    const response = await fetch(`${base}/console/`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(await response.text()).toContain('<div id="app">');
  });

  it('signs in with a key kept in the session only, never in the URL or local storage', async () => {
    await signIn('recorder');
    await expect.poll(() => page.locator('.who').textContent()).toContain('(recorder)');
    expect(page.url()).not.toContain(keys.recorder);
    const storage = await page.evaluate(() => ({
      local: localStorage.length,
      session: Object.values(sessionStorage),
    }));
    expect(storage).toEqual({ local: 0, session: [keys.recorder] });
  });

  it('lists the founding program authorized today, its sunset still pending', async () => {
    const row = page.getByRole('row', { name: new RegExp(EXAMPLE_PROGRAM) });
    await row.waitFor();
    const text = await row.textContent();
    expect(text).toContain('authorized');
    expect(text).toContain(
      'ends 4 months after the usps-b-1118f TDP public release, not yet released',
    );
    expect(text).toContain('usps-b-1118e');
    // Titles beside ids: the specification's registered title, the program's description.
    expect(text).toContain('USPS-B-1118E Cluster Box Unit');
    expect(text).toContain('1118E aluminum Cluster Box Units supplied to the private market');
    expect(text).toContain('private-market');
    await expect.poll(() => page.getByText(/Programs 1–1 of 1/).isVisible()).toBe(true);
    await page.getByLabel('Status', { exact: true }).selectOption('expired');
    await expect.poll(() => page.getByText('No program matches.').isVisible()).toBe(true);
    await page.getByLabel('Status', { exact: true }).selectOption('');
    await page.getByLabel('Search by id').fill('1118e');
    await row.waitFor();
    await expectAccessible('the programs page');
  });

  it('records the TDP release through its form', async () => {
    await page.goto(`${base}/console/#/record`);
    const form = page.locator('form', { has: page.getByRole('heading', { name: /TDP release/ }) });
    await form.getByLabel('Specification').fill('usps-b-1118f');
    await form.getByLabel('Released on').fill('2007-05-08');
    await form.getByLabel('Document reference').fill('USPS-B-1118F TDP, public release');
    await form.getByRole('button', { name: 'Record the TDP release' }).click();
    await expect
      .poll(() => form.getByRole('status').textContent())
      .toContain('Recorded at position 5');
    await expectAccessible('the record page');
  });

  it('shows the founding program authorized through 2007-09-07 and expired from 2007-09-08', async () => {
    await openProgram('at=2007-06-01');
    await expect.poll(statusHeading).toBe('Status on 2007-06-01: authorized');
    expect(await statusPanel()).toContain('last authorized day 2007-09-07');
    await page.getByLabel('Valid date (status on)').fill('2007-09-08');
    await expect.poll(statusHeading).toBe('Status on 2007-09-08: expired');
    expect(await statusPanel()).toContain('Expired on 2007-09-08');
    const intervals = await page.locator('.intervals').textContent();
    expect(intervals).toContain('authorized from 2005-12-08 through 2007-09-07');
    expect(intervals).toContain('expired from 2007-09-08 on, with no end');
    expect(await page.locator('.mark-tdp').count()).toBe(1);
    expect(await page.locator('.mark-letter').count()).toBe(1);
    // A date axis under the bands: about six first-of-month ticks across the program's life.
    expect(await page.locator('.axis li').allTextContents()).toEqual([
      '2006-01',
      '2006-07',
      '2007-01',
      '2007-07',
    ]);
    await shoot('program-laptop');
    await expectAccessible('the program page');
  });

  it('time-travels with the slider to before the TDP was recorded: the sunset is pending', async () => {
    await openProgram('at=2007-06-01');
    const { headPosition } = await api<{ headPosition: number }>('/readyz');
    await page.getByLabel('ledger position').check();
    const slider = page.getByLabel(/^Ledger position/);
    // Travel starts at the latest position (what is known now) and goes back from there.
    await expect.poll(() => new URL(page.url()).hash).toMatch(new RegExp(`known=${headPosition}$`));
    await expect.poll(() => slider.getAttribute('max')).toBe(String(headPosition));
    expect(await slider.inputValue()).toBe(String(headPosition));
    // One key at a time, each step shown in the address before the next, as a person moves it.
    await slider.focus();
    await page.keyboard.press('Home');
    await expect.poll(() => new URL(page.url()).hash).toMatch(/known=1$/);
    for (const position of [2, 3, 4]) {
      await slider.focus();
      await page.keyboard.press('ArrowRight');
      await expect.poll(() => new URL(page.url()).hash).toMatch(new RegExp(`known=${position}$`));
    }
    await expect
      .poll(() => page.locator('.as-of').textContent())
      .toBe('Answers for 2007-06-01, as known at ledger position 4.');
    await expect.poll(statusPanel).toContain('not yet released');
    expect(await statusHeading()).toBe('Status on 2007-06-01: authorized');
    expect(await statusPanel()).not.toContain('last authorized day');
    // Every panel answers as of then: the trail stops before the TDP release.
    const trail = await page.locator('section[aria-labelledby="trail-title"]').textContent();
    expect(trail).not.toContain('TechnicalDataPackageReleased');
    await expectAccessible('the program page in time travel');
    // And forward again to the TDP release (position 5): the end is known.
    await page.keyboard.press('ArrowRight');
    await expect.poll(statusPanel).toContain('last authorized day 2007-09-07');
  });

  it('opens the letter behind the status from its basis entry', async () => {
    await openProgram('at=2007-06-01');
    await page.getByRole('button', { name: '#4 NoticeReceived' }).click();
    // In a sentence, as the audit report says it; the recorded JSON only on demand.
    const content = page.locator('.event-content').first();
    await expect
      .poll(() => content.locator('.event-words').textContent())
      .toMatch(/^Notice usps-2005-12-08 from .+ received on 2005-12-08, document /);
    expect(await content.locator('pre').isVisible()).toBe(false);
    await content.getByText('As recorded (JSON)').click();
    expect(await content.locator('pre').textContent()).toContain('"noticeId": "usps-2005-12-08"');
  });

  it('refuses a bad notice next to its field, then records a revocation once on a double click', async () => {
    await page.goto(`${base}/console/#/record`);
    const form = page.locator('form', {
      has: page.getByRole('heading', { name: /Record a notice/ }),
    });
    await form.getByLabel('Program').fill(EXAMPLE_PROGRAM);
    await form.getByRole('button', { name: 'Record the notice' }).click();
    const noticeIdError = form.locator('#notice-noticeId-error');
    await expect.poll(() => noticeIdError.isVisible()).toBe(true);
    // In words (here the id rule's own), not zod's "Too small: expected string to have >=1 characters".
    expect(await noticeIdError.textContent()).toMatch(/^must be /);
    expect(await form.locator('#notice-receivedOn-error').textContent()).toBe(
      'must be a date as YYYY-MM-DD, e.g. 2006-04-08',
    );
    expect(await form.getByLabel('Notice id', { exact: true }).getAttribute('aria-invalid')).toBe(
      'true',
    );
    expect(await form.locator('#notice-terms-0-from-error').isVisible()).toBe(true);

    await form.getByLabel('Notice id', { exact: true }).fill('usps-2007-06-15');
    await form.getByLabel('Received on').fill('2007-06-15');
    await form.getByLabel('Issuer').fill('United States Postal Service');
    await form.getByLabel('Document reference').fill('USPS letter 2007-06-15');
    await form
      .getByLabel('Summary')
      .fill('The 1118E private-market supply is revoked from 2007-07-01.');
    await form.getByLabel('Kind').selectOption('revokes');
    await form.getByLabel(/^Revoked on/).fill('2007-07-01');
    await form.getByRole('button', { name: 'Record the notice' }).dblclick();
    await expect
      .poll(() => form.getByRole('status').textContent())
      .toContain('Recorded at position 6');

    const trail = await api<{ entries: { type: string }[] }>(
      `/v1/programs/${EXAMPLE_PROGRAM}/audit-trail`,
    );
    const notices = trail.entries.filter((e) => e.type === 'NoticeReceived');
    expect(notices).toHaveLength(2);

    await openProgram('at=2007-06-01');
    await expect.poll(statusPanel).toContain('last authorized day 2007-06-30');
    await page.getByLabel('Valid date (status on)').fill('2007-07-01');
    await expect.poll(statusHeading).toBe('Status on 2007-07-01: revoked');
  });

  it('shows a shipment after the revocation as a violation, as known now and when recorded', async () => {
    await page.goto(`${base}/console/#/violations`);
    await expect
      .poll(() => page.getByText('No shipment falls outside an authorization.').isVisible())
      .toBe(true);
    await page.goto(`${base}/console/#/record`);
    const form = page.locator('form', {
      has: page.getByRole('heading', { name: 'Record a shipment' }),
    });
    await form.getByLabel('Program').fill(EXAMPLE_PROGRAM);
    await form.getByLabel('Shipment id').fill('shipment-2007-09-10');
    await form.getByLabel('Shipped on').fill('2007-09-10');
    await form.getByLabel('Units').fill('120');
    await form.getByRole('button', { name: 'Record the shipment' }).click();
    // The 201 carries the violation: the form warns at once, as an alert.
    await expect
      .poll(() => form.getByRole('alert').textContent())
      .toMatch(/^Recorded at position 7, and it is a violation: Blocked: revoked on 2007-07-01/);

    await page.goto(`${base}/console/#/violations`);
    const row = page.getByRole('row', { name: /shipment-2007-09-10/ });
    await row.waitFor();
    const cells = await row.getByRole('cell').allInnerTexts();
    // shipment (row header) aside: program, shipped on, units, as known now, when recorded
    expect(cells.slice(0, 3)).toEqual([EXAMPLE_PROGRAM, '2007-09-10', '120']);
    expect(cells[3]).toMatch(/^violation\s+revoked/);
    expect(cells[4]).toMatch(/^violation\s+revoked/);
    await shoot('violations-laptop');
    await expectAccessible('the violations page');

    // As the ledger knew it at position 6, before the shipment was recorded: no violation yet.
    const knownAt = page.getByLabel(/^As known at/);
    await knownAt.fill('6');
    await expect
      .poll(() => page.getByText('No shipment falls outside an authorization.').isVisible())
      .toBe(true);
    await knownAt.fill('7');
    await row.waitFor();
  });

  it('checks a planned shipment before it ships: blocked after the revocation, allowed before', async () => {
    await page.goto(`${base}/console/#/record`);
    const form = page.locator('form', {
      has: page.getByRole('heading', { name: 'Check before shipping' }),
    });
    await form.getByLabel('Program').fill(EXAMPLE_PROGRAM);
    await form.getByLabel('Planned shipping date').fill('2007-07-01');
    await form.getByLabel('Units').fill('5');
    await form.getByRole('button', { name: 'Check' }).click();
    await expect
      .poll(() => form.getByRole('alert').textContent())
      .toMatch(/^Blocked: revoked on 2007-07-01/);
    await form.getByLabel('Planned shipping date').fill('2007-06-30');
    await form.getByRole('button', { name: 'Check' }).click();
    await expect
      .poll(() => form.getByRole('status').textContent())
      .toMatch(/^Allowed: authorized since/);
    await expectAccessible('the check form');
  });

  it('shows the deadlines within 30, 60 or 90 days', async () => {
    await page.goto(`${base}/console/#/deadlines`);
    await page.getByLabel('30 days').check();
    await expect.poll(() => page.getByText(/Nothing ends between/).isVisible()).toBe(true);
    await expectAccessible('the deadlines page');
  });

  it('shows the signed checkpoint, the verify result and downloads the audit report', async () => {
    await page.goto(`${base}/console/#/integrity`);
    // The page's own wait (10 s), not a poll's 1 s: the verify takes longer on a busy machine.
    await page.getByText(/^verified/).waitFor();
    const checkpoint = await api<{ origin: string; rootHash: string; note: string }>(
      '/v1/ledger/checkpoint',
    );
    const facts = await page.locator('.facts').textContent();
    expect(facts).toContain(checkpoint.origin);
    expect(facts).toContain(checkpoint.rootHash);
    expect(facts).toContain(checkpoint.note.trimEnd().split('\n').at(-1));
    expect(await page.locator('pre.commands').first().textContent()).toContain(
      `npx compliance-ledger audit --trusted trusted.note --url ${base}`,
    );
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download the audit report (JSON)' }).click(),
    ]);
    const report = JSON.parse(readFileSync(await download.path(), 'utf8'));
    expect(report.verify).toMatchObject({ ok: true, events: 7 });
    expect(report.checkpoint.note).toBe(checkpoint.note);
    await expectAccessible('the integrity page');
  });

  it('fits a phone: every page at 390 px, none wider than the screen', async () => {
    await page.setViewportSize(PHONE);
    const pages: [string, () => Promise<unknown>][] = [
      ['programs', () => page.getByRole('row', { name: new RegExp(EXAMPLE_PROGRAM) }).waitFor()],
      [
        `program/${EXAMPLE_PROGRAM}?at=2007-06-01`,
        () => page.getByRole('heading', { name: /^Status on/ }).waitFor(),
      ],
      ['deadlines', () => page.getByRole('heading', { name: 'Deadlines', exact: true }).waitFor()],
      [
        'violations',
        () => page.getByRole('heading', { name: 'Violations and backdating' }).waitFor(),
      ],
      ['integrity', () => page.getByText(/^verified/).waitFor()],
      ['record', () => page.getByRole('button', { name: 'Record the notice' }).waitFor()],
    ];
    const overflows: Record<string, number> = {};
    for (const [path, ready] of pages) {
      await page.goto(`${base}/console/#/${path}`);
      await ready();
      overflows[path] = await page.evaluate(
        () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
      );
      await shoot(`${path.split(/[/?]/)[0]}-phone`);
    }
    // The program page with its end and retraction forms open.
    await openProgram('at=2007-06-01');
    await page.getByText('End this program…').click();
    await page
      .getByRole('button', { name: /^Retract event \d+…$/ })
      .first()
      .click();
    await page.getByLabel('Reason for the retraction').waitFor();
    overflows['program forms'] = await page.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    await shoot('program-forms-phone');
    expect(overflows).toEqual({
      ...Object.fromEntries(pages.map(([path]) => [path, 0])),
      'program forms': 0,
    });
    await page.goto(`${base}/console/#/record`);
    await page.getByRole('button', { name: 'Record the notice' }).waitFor();
    await expectAccessible('the record page on a phone');
    await page.setViewportSize(LAPTOP);
  });

  it('downloads the printable HTML audit report from the program page', async () => {
    await openProgram('at=2007-06-01');
    const [file] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: /^Download the audit report \(HTML/ }).click(),
    ]);
    expect(file.suggestedFilename()).toBe(`${EXAMPLE_PROGRAM}-audit-report.html`);
    const html = readFileSync((await file.path()) as string, 'utf8');
    expect(html).toMatch(/^<!doctype html>/i);
    expect(html).toContain(EXAMPLE_PROGRAM);
  });

  it('gives the audit command with --api-key-file, never a key on the command line', async () => {
    await page.goto(`${base}/console/#/integrity`);
    const commands = (await page.locator('pre.commands').allTextContents()).join('\n');
    expect(commands).toContain('--api-key-file reader.key');
    expect(commands).not.toMatch(/--key[\s=]|\$LEDGER_API_KEY/);
  });

  const head = async () => (await api<{ headPosition: number }>('/readyz')).headPosition;
  const recordForm = (title: string) =>
    page.locator('form', { has: page.getByRole('heading', { name: title, exact: true }) });
  const NEW_PROGRAM = 'acme-usps-b-1118g';

  it('registers a specification and a program; a bad id is refused beside its field and records nothing', async () => {
    await page.goto(`${base}/console/#/record`);
    const before = await head();
    const spec = recordForm('Register a specification');
    await spec.getByLabel('Specification id', { exact: true }).fill('USPS B 1118G!');
    await spec.getByRole('button', { name: 'Register the specification' }).click();
    await expect
      .poll(() => spec.locator('#specification-specificationId-error').textContent())
      .toMatch(/^must be a slug/);
    expect(await spec.locator('#specification-title-error').isVisible()).toBe(true);
    expect(await spec.getByLabel('Title').getAttribute('aria-invalid')).toBe('true');
    expect(await head()).toBe(before);

    await spec.getByLabel('Specification id', { exact: true }).fill('usps-b-1118g');
    await spec.getByLabel('Title').fill('Mailing equipment, revision G');
    await spec.getByLabel('Regulator', { exact: true }).fill('United States Postal Service');
    await spec.getByLabel(/^Supersedes/).fill('usps-b-1118f');
    await spec.getByRole('button', { name: 'Register the specification' }).click();
    await expect
      .poll(() => spec.locator('[role=status], [role=alert]').last().textContent())
      .toContain(`Recorded at position ${before + 1}`);

    const program = recordForm('Register a program');
    await program.getByLabel('Program id').fill(NEW_PROGRAM);
    await program.getByLabel('Supplier id').fill('acme');
    await program.getByLabel('Specification').fill('usps-b-1118g');
    await program.getByLabel('Channel').selectOption('regulator-purchased');
    await program.getByLabel('Regulator', { exact: true }).fill('United States Postal Service');
    await program.getByRole('button', { name: 'Register the program' }).click();
    await expect
      .poll(() => program.locator('[role=status], [role=alert]').last().textContent())
      .toContain(`Recorded at position ${before + 2}`);
    const { programs } = await api<{ programs: { programId: string; channel: string }[] }>(
      `/v1/programs?idContains=1118g`,
    );
    expect(programs).toEqual([
      expect.objectContaining({
        programId: NEW_PROGRAM,
        channel: 'regulator-purchased',
        specificationTitle: 'Mailing equipment, revision G',
      }),
    ]);
    await page.goto(`${base}/console/#/programs`);
    await page.getByLabel('Search by id').fill('1118g');
    await expect
      .poll(() => page.locator('tr', { hasText: NEW_PROGRAM }).textContent())
      .toContain('usps-b-1118gMailing equipment, revision G');
    await expectAccessible('the registration forms');
  });

  it('records a license application and a rejection with its reason; a bad date records nothing', async () => {
    await page.goto(`${base}/console/#/record`);
    const before = await head();
    const application = recordForm('Record a license application');
    await application.getByLabel('Program').fill(NEW_PROGRAM);
    await application.getByLabel('Application id').fill('app-2008-01-10');
    await application.getByLabel('Submitted on').fill('10/01/2008');
    await application.getByLabel('Document reference').fill('Application letter 2008-01-10');
    await application.getByRole('button', { name: 'Record the application' }).click();
    await expect
      .poll(() => application.locator('#application-submittedOn-error').textContent())
      .toBe('must be a date as YYYY-MM-DD, e.g. 2006-04-08');
    expect(await head()).toBe(before);
    await application.getByLabel('Submitted on').fill('2008-01-10');
    await application.getByRole('button', { name: 'Record the application' }).click();
    await expect
      .poll(() => application.locator('[role=status], [role=alert]').last().textContent())
      .toContain(`Recorded at position ${before + 1}`);

    const decision = recordForm('Record a license decision');
    await decision.getByLabel('Program').fill(NEW_PROGRAM);
    await decision.getByLabel('Application id').fill('app-2008-01-10');
    await decision.getByLabel('Decided on').fill('2008-02-30');
    await decision.getByLabel('Decision').selectOption('rejected');
    await decision.getByRole('button', { name: 'Record the decision' }).click();
    await expect
      .poll(() => decision.locator('#decision-decidedOn-error').textContent())
      .toBe('must be a date as YYYY-MM-DD, e.g. 2006-04-08');
    expect(await head()).toBe(before + 1);
    await decision.getByLabel('Decided on').fill('2008-02-01');
    await decision.getByLabel(/^Reasons/).fill('The drawings are incomplete.\nNo test report.');
    await decision.getByLabel('Resubmission allowed').check();
    await decision.getByRole('button', { name: 'Record the decision' }).click();
    await expect
      .poll(() => decision.locator('[role=status], [role=alert]').last().textContent())
      .toContain(`Recorded at position ${before + 2}`);
    const trail = await api<{ entries: { type: string; content: string }[] }>(
      `/v1/programs/${NEW_PROGRAM}/audit-trail`,
    );
    expect(trail.entries.at(-1)?.content).toBe(
      'License application app-2008-01-10 rejected on 2008-02-01: The drawings are incomplete.; No test report.; resubmission allowed.',
    );
  });

  it('retracts an event from the audit trail with its reason, and shows both in words', async () => {
    await page.goto(`${base}/console/#/program/${NEW_PROGRAM}?at=2008-03-01`);
    await page.getByRole('heading', { name: /^Status on/ }).waitFor();
    const before = await head();
    const decided = page.locator('tr', { hasText: 'LicenseApplicationDecided' });
    await decided.getByRole('button', { name: /^Retract event \d+…$/ }).click();
    const form = page.locator('form', {
      has: page.getByRole('heading', { name: /^Retract event/ }),
    });
    await form.getByRole('button', { name: 'Record the retraction' }).click();
    const error = form.locator('[id$="-reason-error"]');
    await expect.poll(() => error.isVisible()).toBe(true);
    expect(await error.textContent()).toBe('required');
    expect(await head()).toBe(before);
    await form
      .getByLabel('Reason for the retraction')
      .fill('Recorded against the wrong application.');
    await form.getByRole('button', { name: 'Record the retraction' }).click();
    // The trail is read again: the decision is marked retracted and the retraction is listed.
    await page.locator('tr', { hasText: 'EventRetracted' }).waitFor();
    const retraction = page.locator('tr', { hasText: 'EventRetracted' });
    expect(await head()).toBe(before + 1);
    await expect
      .poll(() => page.locator('tr', { hasText: 'LicenseApplicationDecided' }).textContent())
      .toContain('retracted later');
    await retraction.getByText('EventRetracted').click();
    await expect
      .poll(() => retraction.locator('.event-words').textContent())
      .toMatch(/^Retracts event \S+: Recorded against the wrong application\.$/);
    await shoot('retraction-laptop');
    await expectAccessible('the program page after a retraction');
  });

  it('ends a program from its page; an end without a reason records nothing', async () => {
    await page.goto(`${base}/console/#/program/${NEW_PROGRAM}?at=2008-03-01`);
    await page.getByRole('heading', { name: /^Status on/ }).waitFor();
    const before = await head();
    await page.getByText('End this program…').click();
    const form = recordForm('End this program');
    await form.getByLabel(/^Ended on/).fill('2008-03-01');
    await form.getByRole('button', { name: 'Record the end' }).click();
    await expect.poll(() => form.locator('#end-reason-error').textContent()).toBe('required');
    expect(await head()).toBe(before);
    await form.getByLabel('Reason').fill('The supplier stopped making the 1118G equipment.');
    await form.getByRole('button', { name: 'Record the end' }).click();
    await expect
      .poll(() => form.getByRole('status').textContent())
      .toContain(`Recorded at position ${before + 1}`);
    // The page reads its answers again: the end is on the timeline and in the trail.
    await expect.poll(() => page.locator('.mark-end').count()).toBe(1);
    await page.locator('tr', { hasText: 'ProgramEnded' }).waitFor();
  });

  it('on a new, empty ledger: a guide to the first records, and zod raises no CSP violation under the real policy', async () => {
    const fresh = mkdtempSync(join(tmpdir(), 'ledger-console-empty-'));
    const port = await freePort();
    const empty = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: ROOT,
      env: {
        ...process.env,
        HOST: '127.0.0.1',
        PORT: String(port),
        LEDGER_STORE: `sqlite:${join(fresh, 'ledger.sqlite')}`,
        LEDGER_CREDENTIALS: join(fresh, 'credentials.json'),
        LEDGER_CHECKPOINT_KEY: join(fresh, 'checkpoint-key'),
        LOG_LEVEL: 'warn',
      },
      stdio: 'ignore',
    });
    // The console's own Content-Security-Policy this time (no bypass), watched for violations.
    const strict = await chromium.launchPersistentContext(join(fresh, 'profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
      viewport: PHONE,
    });
    try {
      const emptyBase = `http://127.0.0.1:${port}`;
      await expect
        .poll(
          () =>
            fetch(`${emptyBase}/healthz`).then(
              (r) => r.ok,
              () => false,
            ),
          { timeout: WAIT_MS },
        )
        .toBe(true);
      const recorder = firstStartKeys(join(fresh, 'credentials.json')).recorder as string;
      const tab = strict.pages()[0] ?? (await strict.newPage());
      tab.setDefaultTimeout(10_000);
      const reported: string[] = [];
      tab.on('console', (message) => {
        if (/Content Security Policy|unsafe-eval/i.test(message.text()))
          reported.push(message.text());
      });
      await tab.addInitScript(() => {
        document.addEventListener('securitypolicyviolation', (event) =>
          console.error(`Content Security Policy violation: ${event.violatedDirective}`),
        );
      });
      await tab.goto(`${emptyBase}/console/`);
      await tab.getByLabel('API key').fill(recorder);
      await tab.getByRole('button', { name: 'Sign in' }).click();
      const guide = tab.getByRole('region', { name: 'This ledger has no program yet' });
      await guide.waitFor();
      expect(await guide.textContent()).toContain('npx compliance-ledger seed-example');
      expect(
        await tab.evaluate(
          () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
        ),
      ).toBe(0);
      await tab.screenshot({ path: join(SHOTS, 'console-empty-phone.png') });
      // The record forms validate with zod in the page: an empty notice is refused in words.
      await tab.goto(`${emptyBase}/console/#/record`);
      await tab.getByRole('button', { name: 'Record the notice' }).click();
      await expect
        .poll(() => tab.locator('#notice-receivedOn-error').textContent(), { timeout: 10_000 })
        .toBe('must be a date as YYYY-MM-DD, e.g. 2006-04-08');
      expect(reported).toEqual([]);
    } finally {
      await strict.close();
      const exited = new Promise((resolve) => empty.once('exit', resolve));
      empty.kill('SIGTERM');
      await exited;
      rmSync(fresh, { recursive: true, force: true });
    }
  }, 120_000);

  it('signs out, and an auditor key gets no record forms', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API key').waitFor();
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    await signIn('auditor');
    const nav = await page.getByRole('navigation', { name: 'Pages', exact: true }).textContent();
    expect(nav).toContain('Programs');
    expect(nav).not.toContain('Record');
    await page.goto(`${base}/console/#/record`);
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('auditor role');
    expect(await page.getByRole('button', { name: /^Record the/ }).count()).toBe(0);
    await openProgram('at=2007-06-01');
    await page.locator('tr', { hasText: 'NoticeReceived' }).first().waitFor();
    expect(await page.getByRole('button', { name: /^Retract event/ }).count()).toBe(0);
    expect(await page.getByText('End this program…').count()).toBe(0);
    await page.goto(`${base}/console/#/programs`);
    await page.getByRole('row', { name: new RegExp(EXAMPLE_PROGRAM) }).waitFor();
    await shoot('programs-laptop');
  });

  it('lets an admin subscribe a receiver, shows its secret once, and lists it (the auditor sees no Subscriptions page)', async () => {
    const nav = await page.getByRole('navigation', { name: 'Pages', exact: true }).textContent();
    expect(nav).not.toContain('Subscriptions');
    keys.admin = addKey(join(dir, 'credentials.json'), 'console-admin', 'admin').key;
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API key').waitFor();
    // The server reads the credentials file again when it changes: sign in again while the form
    // is still shown (the key not known yet); once signed in, wait for the admin's page link.
    await expect
      .poll(
        async () => {
          if (await page.getByLabel('API key').isVisible()) {
            await page.getByLabel('API key').fill(keys.admin as string);
            await page.getByRole('button', { name: 'Sign in' }).click();
          }
          return page.getByRole('link', { name: 'Subscriptions' }).isVisible();
        },
        { timeout: WAIT_MS },
      )
      .toBe(true);
    await page.getByRole('link', { name: 'Subscriptions' }).click();
    await page.getByLabel('Receiver URL (https)').fill('https://compliance.example/hooks/ledger');
    await page.getByRole('button', { name: 'Subscribe' }).click();
    const secret = (await page.getByTestId('signing-secret').textContent()) ?? '';
    expect(secret).toMatch(/^whsec_/);
    keys.secret = secret;
    await page.getByRole('row', { name: /compliance\.example/ }).waitFor();
    await page.getByRole('button', { name: 'Deliveries' }).click();
    await page.getByText('Nothing sent to this receiver yet.').waitFor();
    await shoot('subscriptions');
    await expectAccessible('the subscriptions page');
    await page.reload();
    await page.getByRole('row', { name: /compliance\.example/ }).waitFor();
    expect(await page.getByTestId('signing-secret').count()).toBe(0);
  });

  it('never wrote a key into a log line', () => {
    expect(serverOutput).toContain('"url":"/v1/me"');
    const logLines = serverOutput.split('\n').filter((line) => line.startsWith('{'));
    for (const key of Object.values(keys))
      for (const line of logLines) expect(line).not.toContain(key);
  });
});
