/**
 * `npm run bench:console`: the console on a big ledger. 10,000 programs (3 events each) and one
 * program of 5,000 events: the programs list one page at a time beside the whole list, and, in
 * headless Chromium when it is installed, how long the console takes to show the first page of
 * programs and the program page of 5,000 events. Figures only; no thresholds.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { build } from 'vite';
import { addKey } from '../src/api/credentials.ts';
import { streams } from '../src/domain/index.ts';
import { openSqliteEventStore } from '../src/eventstore/sqlite/index.ts';
import { append, generateLedger, programHistory } from './generated-ledger.ts';
import { type BenchRow, benchRow, median, report } from './support.ts';

const PROGRAMS = 10_000;
const BIG = 5_000;
const RUNS = 5;
const CHROMIUM = process.env.LEDGER_CHROMIUM ?? '/usr/bin/chromium';
const root = fileURLToPath(new URL('..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'ledger-console-bench-'));
const file = join(dir, 'ledger.sqlite');

// 20 specifications with their TDP releases and 20 programs, then the many small programs.
await generateLedger(file, 2_000);
const store = openSqliteEventStore(file);
for (let p = 20; p < 20 + PROGRAMS; p++)
  await append(store, streams.program(`program-${p}`), programHistory(p, 3));
const bigId = `program-${20 + PROGRAMS}`;
await append(store, streams.program(bigId), programHistory(20 + PROGRAMS, BIG));
await store.close();

const credentials = join(dir, 'credentials.json');
const { key } = addKey(credentials, 'bench', 'auditor');
const port = await new Promise<number>((resolve) => {
  const probe = createServer().listen(0, '127.0.0.1', () => {
    const address = probe.address() as { port: number };
    probe.close(() => resolve(address.port));
  });
});
const base = `http://127.0.0.1:${port}`;
let server: ChildProcess | undefined;
try {
  await build({ configFile: join(root, 'console/vite.config.ts'), logLevel: 'error' });
  server = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: root,
    env: {
      ...process.env,
      HOST: '127.0.0.1',
      PORT: String(port),
      LEDGER_STORE: `sqlite:${file}`,
      LEDGER_CREDENTIALS: credentials,
      LEDGER_CHECKPOINT_KEY: join(dir, 'checkpoint-key'),
      LOG_LEVEL: 'warn',
    },
    stdio: 'inherit',
  });
  for (;;) {
    const ready = await fetch(`${base}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }

  const timed = async (path: string) => {
    const ms: number[] = [];
    let bytes = 0;
    for (let i = 0; i < RUNS; i++) {
      const started = performance.now();
      const response = await fetch(`${base}${path}`, {
        headers: { authorization: `Bearer ${key}` },
      });
      bytes = (await response.arrayBuffer()).byteLength;
      if (!response.ok) throw new Error(`${path}: ${response.status}`);
      ms.push(performance.now() - started);
    }
    return { ms: median(ms), bytes };
  };
  const page = await timed('/v1/programs?limit=50');
  const all = await timed('/v1/programs');
  const trail = await timed(`/v1/programs/${bigId}/audit-trail`);
  const rows: BenchRow[] = [
    benchRow(
      `GET /v1/programs, first page of 50 of ${PROGRAMS + 21}`,
      'ms',
      page.ms,
      'the whole list unpaged',
      all.ms,
      {
        aim: '< 1000',
        note: `${page.bytes} bytes beside ${all.bytes}`,
      },
    ),
  ];

  if (existsSync(CHROMIUM)) {
    const context = await chromium.launchPersistentContext(join(dir, 'profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
      viewport: { width: 1366, height: 900 },
    });
    const tab = context.pages()[0] ?? (await context.newPage());
    tab.setDefaultTimeout(120_000);
    await tab.goto(`${base}/console/`);
    await tab.getByLabel('API key').fill(key);
    await tab.getByRole('button', { name: 'Sign in' }).click();
    await tab
      .getByRole('row', { name: /program-/ })
      .first()
      .waitFor();
    const shown = async (hash: string, ready: () => Promise<void>) => {
      const ms: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        await tab.goto(`${base}/console/#/integrity`);
        await tab.getByText(/^verified/).waitFor();
        const started = performance.now();
        await tab.goto(`${base}/console/${hash}`);
        await ready();
        ms.push(performance.now() - started);
      }
      return median(ms);
    };
    const programsPage = await shown('#/programs', () =>
      tab.getByText(/^Programs 1–50 of/).waitFor(),
    );
    const programPage = await shown(`#/program/${bigId}`, async () => {
      await tab.getByRole('button', { name: /^Show 200 more of/ }).waitFor();
      await tab.getByRole('heading', { name: /^Status on/ }).waitFor();
    });
    await context.close();
    rows.push(
      benchRow(
        'console: Programs page shown (first 50)',
        'ms',
        programsPage,
        'its API call alone',
        page.ms,
        { aim: '< 1000' },
      ),
      benchRow(
        `console: program page of ${BIG} events shown (status, timeline, first 200 of the trail)`,
        'ms',
        programPage,
        'its audit-trail call alone',
        trail.ms,
        { note: `audit trail ${trail.bytes} bytes` },
      ),
    );
  } else console.warn(`no Chromium at ${CHROMIUM}: the browser figures are left out`);
  report('console', rows);
} finally {
  if (server && server.exitCode === null) {
    const exited = new Promise((resolve) => server?.once('exit', resolve));
    server.kill('SIGTERM');
    await exited;
  }
  rmSync(dir, { recursive: true, force: true });
}
