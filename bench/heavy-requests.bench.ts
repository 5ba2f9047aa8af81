/**
 * `npm run bench:heavy`: /healthz latency (p50, p99) while five auditors each run
 * GET /v1/ledger/verify on a 100,000-event SQLite ledger (issue 14, item 1), and while six
 * auditors each ask a whole-ledger list, three violations and three backdating (issue 28, item 2).
 * Ours verifies and lists in worker threads; the baseline is the same server at
 * LEDGER_BENCH_BEFORE (default a8d8221, the last commit that computed the lists on the event
 * loop; 09207af, the last that verified there, no longer opens a ledger of today's format), its
 * src/ and projections/ checked out into a temp folder. Idle /healthz latency is in the details.
 * The server and this load generator are separate processes.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { addKey } from '../src/api/credentials.ts';
import { openLedger } from '../src/composition/open-ledger.ts';
import Database from '../src/eventstore/sqlite/driver.ts';
import { generateLedger } from './generated-ledger.ts';
import { type BenchRow, benchRow, median, report } from './support.ts';

const EVENTS = Number(process.env.LEDGER_BENCH_EVENTS ?? 100_000);
const BEFORE = process.env.LEDGER_BENCH_BEFORE ?? 'a8d8221';
const AUDITORS = 6;
const VERIFIERS = 5;
const root = fileURLToPath(new URL('..', import.meta.url));

interface Run {
  healthzMs: number[];
  verifyMs: number[];
  verifyStatuses: number[];
}

/** The six whole-ledger lists, one per auditor; each backdating threshold is its own computation. */
const LISTS = [
  '/v1/compliance/violations',
  '/v1/compliance/backdating?thresholdDays=30',
  '/v1/compliance/violations?limit=10',
  '/v1/compliance/backdating?thresholdDays=60',
  '/v1/compliance/violations?limit=1000',
  '/v1/compliance/backdating?thresholdDays=90',
];

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

/** `main` (a src/main.ts) on `port`; resolves once /readyz answers 200 (the projections caught up). */
async function start(main: string, port: number, env: NodeJS.ProcessEnv): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', main], {
    cwd: root,
    env: { ...process.env, ...env, PORT: String(port), LOG_LEVEL: 'silent' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  for (let i = 0; i < 3000 && child.exitCode === null; i++) {
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) return child;
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`${main} did not become ready`);
}

async function stop(child: ChildProcess): Promise<void> {
  child.kill('SIGTERM');
  await once(child, 'exit');
}

/** One GET /healthz after another, each timed, until `until` settles. */
async function pingHealthz(base: string, until: Promise<unknown>): Promise<number[]> {
  let done = false;
  void until.finally(() => {
    done = true;
  });
  const times: number[] = [];
  while (!done) {
    const started = performance.now();
    await (await fetch(`${base}/healthz`)).arrayBuffer();
    times.push(performance.now() - started);
  }
  return times;
}

/** One heavy request per auditor key at once (`paths[i]` for key i), with /healthz timed throughout. */
async function measure(base: string, keys: string[], paths: readonly string[]): Promise<Run> {
  const verifyMs: number[] = [];
  const verifyStatuses: number[] = [];
  const verifies = Promise.all(
    paths.map(async (path, i) => {
      const key = keys[i] as string;
      const started = performance.now();
      const response = await fetch(`${base}${path}`, {
        headers: { authorization: `Bearer ${key}` },
      });
      await response.arrayBuffer();
      verifyMs.push(performance.now() - started);
      verifyStatuses.push(response.status);
    }),
  );
  const healthzMs = await pingHealthz(base, verifies);
  await verifies;
  return { healthzMs, verifyMs, verifyStatuses };
}

/** Idle /healthz latency: 200 requests one after another. */
async function idle(base: string): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < 200; i++) {
    const started = performance.now();
    await (await fetch(`${base}/healthz`)).arrayBuffer();
    times.push(performance.now() - started);
  }
  return times;
}

const percentile = (values: readonly number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] as number;
};

/** The src/, projections/ and package.json of commit `ref` in `folder`, beside this checkout's node_modules; null if git lacks it. */
function checkoutBefore(ref: string, folder: string): string | null {
  try {
    const archive = execFileSync('git', ['archive', ref, 'src', 'projections', 'package.json'], {
      cwd: root,
      maxBuffer: 1 << 28,
    });
    mkdirSync(folder, { recursive: true });
    execFileSync('tar', ['-x', '-C', folder], { input: archive });
  } catch (error) {
    console.error(`no baseline: git archive ${ref} failed (${(error as Error).message})`);
    return null;
  }
  symlinkSync(join(root, 'node_modules'), join(folder, 'node_modules'));
  return join(folder, 'src/main.ts');
}

/**
 * The baseline's build refuses a ledger of a newer schema (it knows up to version 3). Versions 4
 * and 5 only added the witnesses' cosignatures and the timestamp tokens, both empty here (the
 * bench configures neither), so the same file without them is the ledger that build wrote.
 */
function asWrittenBefore(file: string): void {
  const db = new Database(file);
  try {
    db.exec('DROP TABLE checkpoint_cosignatures; DROP TABLE checkpoint_timestamps');
    db.pragma('user_version = 3');
  } finally {
    db.close();
  }
}

async function run(main: string, env: NodeJS.ProcessEnv, keys: string[]) {
  const port = await freePort();
  const child = await start(main, port, env);
  try {
    const base = `http://127.0.0.1:${port}`;
    return {
      idle: await idle(base),
      loaded: await measure(base, keys, Array(VERIFIERS).fill('/v1/ledger/verify')),
      lists: await measure(base, keys, LISTS),
    };
  } finally {
    await stop(child);
  }
}

const folder = mkdtempSync(join(tmpdir(), 'ledger-bench-heavy-'));
try {
  const file = join(folder, 'ledger.sqlite');
  const generated = await generateLedger(file, EVENTS);
  console.log(`generated ${generated.events} events in ${(generated.ms / 1000).toFixed(1)} s`);
  const credentials = join(folder, 'credentials.json');
  const keys = Array.from(
    { length: AUDITORS },
    (_, i) => addKey(credentials, `auditor-${i}`, 'auditor').key,
  );
  const env = {
    LEDGER_ORIGIN: 'bench.local/ledger',
    LEDGER_STORE: `sqlite:${file}`,
    LEDGER_CREDENTIALS: credentials,
    LEDGER_CHECKPOINT_KEY: join(folder, 'checkpoint-key'),
    LEDGER_RATE_LIMIT: '100000000',
  };
  // Projection checkpoints saved once, so neither server rebuilds 100,000 events at start
  // (fastify gives a plugin 10 s to start).
  await (await openLedger(env)).close();
  const ours = await run(join(root, 'src/main.ts'), env, keys);
  const beforeMain = checkoutBefore(BEFORE, join(folder, 'before'));
  if (beforeMain !== null) asWrittenBefore(file);
  const before = beforeMain === null ? null : await run(beforeMain, env, keys);

  const summary = (r: NonNullable<typeof before>) => ({
    idleP50: percentile(r.idle, 50),
    idleP99: percentile(r.idle, 99),
    healthzSamples: r.loaded.healthzMs.length,
    healthzP50: percentile(r.loaded.healthzMs, 50),
    healthzP99: percentile(r.loaded.healthzMs, 99),
    healthzMax: Math.max(...r.loaded.healthzMs),
    verifyMedianMs: median(r.loaded.verifyMs),
    verifyStatuses: r.loaded.verifyStatuses,
    listsHealthzSamples: r.lists.healthzMs.length,
    listsHealthzP50: percentile(r.lists.healthzMs, 50),
    listsHealthzP99: percentile(r.lists.healthzMs, 99),
    listsHealthzMax: Math.max(...r.lists.healthzMs),
    listsMedianMs: median(r.lists.verifyMs),
    listsStatuses: r.lists.verifyStatuses,
  });
  const o = summary(ours);
  const b = before && summary(before);
  const baseline = `the server at ${BEFORE}`;
  const rows: BenchRow[] = b
    ? [
        benchRow('/healthz p50 during 5 verifies', 'ms', o.healthzP50, baseline, b.healthzP50),
        benchRow('/healthz p99 during 5 verifies', 'ms', o.healthzP99, baseline, b.healthzP99),
        benchRow('verify, median of 5 at once', 'ms', o.verifyMedianMs, baseline, b.verifyMedianMs),
        benchRow(
          '/healthz p99 during 6 lists',
          'ms',
          o.listsHealthzP99,
          baseline,
          b.listsHealthzP99,
          {
            aim: '< 100 ms',
          },
        ),
        benchRow('list, median of 6 at once', 'ms', o.listsMedianMs, baseline, b.listsMedianMs),
      ]
    : [
        benchRow('/healthz p50 during 5 verifies', 'ms', o.healthzP50, 'idle', o.idleP50),
        benchRow('/healthz p99 during 5 verifies', 'ms', o.healthzP99, 'idle', o.idleP99),
        benchRow('/healthz p99 during 6 lists', 'ms', o.listsHealthzP99, 'idle', o.idleP99, {
          aim: '< 100 ms',
        }),
      ];
  report('heavy-requests', rows, { events: generated.events, ours: o, before: b });
} finally {
  rmSync(folder, { recursive: true, force: true });
}
