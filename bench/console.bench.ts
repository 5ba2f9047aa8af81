/**
 * `npm run bench:console`: the console on a big ledger. 10,000 programs (3 events each) and one
 * program of 5,000 events: the programs list one page at a time beside the whole list, and, in
 * headless Chromium when it is installed, how long the console takes to show the first page of
 * programs and the program page of 5,000 events. Figures only; no thresholds. Each figure and
 * its baseline alternate, ABAB… for ROUNDS rounds: medians with min–max, and the server's CPU
 * time per page (from /proc) beside them.
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
import {
  type BenchRow,
  interleaved,
  interleavedRow,
  processCpuMicros,
  report,
  type Sample,
} from './support.ts';

const PROGRAMS = 10_000;
const BIG = 5_000;
const ROUNDS = 5;
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

  /** One round's figure: milliseconds of `work`, and the server's CPU time over it. */
  const sample = async (work: () => Promise<void>): Promise<Sample> => {
    const pid = server?.pid as number;
    const cpu = processCpuMicros(pid);
    const started = performance.now();
    await work();
    return { value: performance.now() - started, cpuMicros: processCpuMicros(pid) - cpu };
  };
  const bytes = new Map<string, number>();
  const call = (path: string) => () =>
    sample(async () => {
      const response = await fetch(`${base}${path}`, {
        headers: { authorization: `Bearer ${key}` },
      });
      bytes.set(path, (await response.arrayBuffer()).byteLength);
      if (!response.ok) throw new Error(`${path}: ${response.status}`);
    });
  const pagePath = '/v1/programs?limit=50';
  const trailPath = `/v1/programs/${bigId}/audit-trail`;
  const rows: BenchRow[] = [
    interleavedRow(
      `GET /v1/programs, first page of 50 of ${PROGRAMS + 21}`,
      'ms',
      await interleaved(ROUNDS, { baseline: call('/v1/programs'), ours: call(pagePath) }),
      'the whole list unpaged',
      {
        aim: '< 1000',
        note: `${bytes.get(pagePath)} bytes beside ${bytes.get('/v1/programs')}`,
        cpuUnit: 'µs of server CPU per page',
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
    /** Shows `hash` freshly: from another page, so nothing of it is on screen yet. */
    const shown = (hash: string, ready: () => Promise<void>) => async () => {
      await tab.goto(`${base}/console/#/integrity`);
      await tab.getByText(/^verified/).waitFor();
      return sample(async () => {
        await tab.goto(`${base}/console/${hash}`);
        await ready();
      });
    };
    const programsPage = await interleaved(ROUNDS, {
      baseline: call(pagePath),
      ours: shown('#/programs', () => tab.getByText(/^Programs 1–50 of/).waitFor()),
    });
    const programPage = await interleaved(ROUNDS, {
      baseline: call(trailPath),
      ours: shown(`#/program/${bigId}`, async () => {
        await tab.getByRole('button', { name: /^Show 200 more of/ }).waitFor();
        await tab.getByRole('heading', { name: /^Status on/ }).waitFor();
      }),
    });
    await context.close();
    const cpuUnit = 'µs of server CPU per page';
    rows.push(
      interleavedRow(
        'console: Programs page shown (first 50)',
        'ms',
        programsPage,
        'its API call alone',
        {
          aim: '< 1000',
          cpuUnit,
        },
      ),
      interleavedRow(
        `console: program page of ${BIG} events shown (status, timeline, first 200 of the trail)`,
        'ms',
        programPage,
        'its audit-trail call alone',
        { note: `audit trail ${bytes.get(trailPath)} bytes`, cpuUnit },
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
