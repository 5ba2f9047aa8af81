/**
 * `npm run bench:soak`: memory under writes (issue 28, item 9), as the issue met it: the service
 * in its own process on a generated SQLite ledger takes ROUNDS rounds of WRITES shipment POSTs
 * over HTTP (8 at a time). After each round, its RSS (/proc: anonymous and file-backed) and its
 * main V8 heap (used and reserved, old space, from /metrics) are read, with no forced GC: what
 * the service keeps is what counts. Then, after IDLE seconds without requests, once more; then
 * the service is restarted on the same ledger and read again after IDLE seconds: what that
 * ledger alone needs. RSS that levels off round by round, near the restart's, is bounded.
 * With LEDGER_SOAK_SNAPSHOTS=<folder>, the service writes a V8 heap snapshot there after round
 * 1 and after the idle pause (Chrome DevTools, Memory tab, to compare retainers); writing one
 * raises the service's RSS by about its size, so such a run's RSS figures do not count.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { addKey } from '../src/api/credentials.ts';
import { generateLedger } from './generated-ledger.ts';
import { benchRow, report } from './support.ts';

const EVENTS = Number(process.env.LEDGER_BENCH_EVENTS ?? 20_000);
const ROUNDS = Number(process.env.LEDGER_SOAK_ROUNDS ?? 5);
const WRITES = Number(process.env.LEDGER_SOAK_WRITES ?? 6_000);
const IDLE_SECONDS = Number(process.env.LEDGER_SOAK_IDLE_SECONDS ?? 15);
const SNAPSHOTS = process.env.LEDGER_SOAK_SNAPSHOTS;
const WRITERS = 8;
const METRICS_TOKEN = 'soak-metrics-token-'.padEnd(40, 'x');
const root = fileURLToPath(new URL('..', import.meta.url));

interface Reading {
  label: string;
  events: number;
  rssMb: number;
  /** RSS in anonymous memory (V8 heaps, malloc, SQLite's caches) and in mapped files (code). */
  rssAnonMb: number;
  rssFileMb: number;
  /** The main thread's V8 heap: used, and reserved from the system; its old space alike. */
  heapUsedMb: number;
  heapTotalMb: number;
  oldSpaceUsedMb: number;
  oldSpaceMb: number;
  externalMb: number;
  threads: number;
  writesPerSecond?: number;
}

const mb = (bytes: number) => Math.round(bytes / 1024 / 1024);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

/** The process's RSS, Linux's split of it, and its thread count, from /proc/<pid>/status. */
function processMemory(pid: number) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return {
    rssMb: Math.round(field('VmRSS') / 1024),
    rssAnonMb: Math.round(field('RssAnon') / 1024),
    rssFileMb: Math.round(field('RssFile') / 1024),
    threads: field('Threads'),
  };
}

/** The main thread's heap figures from prom-client's default metrics at /metrics. */
async function heapMetrics(base: string) {
  const response = await fetch(`${base}/metrics`, {
    headers: { authorization: `Bearer ${METRICS_TOKEN}` },
  });
  const text = await response.text();
  const metric = (name: string) =>
    mb(Number(new RegExp(`^${name} (\\S+)`, 'm').exec(text)?.[1] ?? Number.NaN));
  return {
    heapUsedMb: metric('nodejs_heap_size_used_bytes'),
    heapTotalMb: metric('nodejs_heap_size_total_bytes'),
    oldSpaceUsedMb: metric('nodejs_heap_space_size_used_bytes\\{space="old"\\}'),
    oldSpaceMb: metric('nodejs_heap_space_size_total_bytes\\{space="old"\\}'),
    externalMb: metric('nodejs_external_memory_bytes'),
  };
}

async function startService(env: NodeJS.ProcessEnv, base: string): Promise<ChildProcess> {
  const diagnostics = SNAPSHOTS
    ? ['--heapsnapshot-signal=SIGWINCH', `--diagnostic-dir=${SNAPSHOTS}`]
    : [];
  const child = spawn(process.execPath, [...diagnostics, '--import', 'tsx', 'src/main.ts'], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  for (let i = 0; i < 1200; i++) {
    const ready = await fetch(`${base}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) return child;
    await sleep(100);
  }
  child.kill('SIGKILL');
  throw new Error('the service did not become ready');
}

async function stopService(child: ChildProcess): Promise<void> {
  child.kill('SIGTERM');
  await once(child, 'exit');
}

/**
 * Asks the service for a heap snapshot (--heapsnapshot-signal) and waits until it is written.
 * SIGWINCH, because the service closes on SIGUSR2 as on SIGTERM (close-with-grace).
 */
async function snapshot(child: ChildProcess): Promise<void> {
  if (!SNAPSHOTS) return;
  const count = () => readdirSync(SNAPSHOTS).filter((f) => f.endsWith('.heapsnapshot')).length;
  const before = count();
  child.kill('SIGWINCH');
  while (count() === before) await sleep(500);
  await sleep(5000);
}

const folder = mkdtempSync(join(tmpdir(), 'ledger-bench-soak-'));
try {
  if (SNAPSHOTS) mkdirSync(SNAPSHOTS, { recursive: true });
  const file = join(folder, 'ledger.sqlite');
  const generated = await generateLedger(file, EVENTS);
  const credentials = join(folder, 'credentials.json');
  const key = addKey(credentials, 'soak-recorder', 'recorder').key;
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const env = {
    PORT: String(port),
    LEDGER_STORE: `sqlite:${file}`,
    LEDGER_CREDENTIALS: credentials,
    LEDGER_CHECKPOINT_KEY: join(folder, 'checkpoint-key'),
    LEDGER_METRICS_TOKEN: METRICS_TOKEN,
    LEDGER_RATE_LIMIT: '100000000',
    LEDGER_ADDRESS_RATE_LIMIT: '100000000',
    LOG_LEVEL: 'silent',
  };
  const readings: Reading[] = [];
  let events = generated.events;
  const read = async (child: ChildProcess, label: string, writesPerSecond?: number) => {
    readings.push({
      label,
      events,
      ...processMemory(child.pid as number),
      ...(await heapMetrics(base)),
      ...(writesPerSecond === undefined ? {} : { writesPerSecond }),
    });
    console.error(JSON.stringify(readings.at(-1)));
  };

  const service = await startService(env, base);
  try {
    await read(service, 'started');
    for (let round = 1; round <= ROUNDS; round++) {
      const started = performance.now();
      const writers = Array.from({ length: WRITERS }, async (_, w) => {
        for (let i = w; i < WRITES; i += WRITERS) {
          const response = await fetch(
            `${base}/v1/programs/program-${i % generated.programs}/shipments`,
            {
              method: 'POST',
              headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
              body: JSON.stringify({
                shipmentId: `soak-${round}-${i}`,
                shippedOn: '2007-06-01',
                units: 1 + (i % 50),
              }),
            },
          );
          const body = await response.text();
          if (response.status !== 201)
            throw new Error(`write answered ${response.status}: ${body}`);
        }
      });
      await Promise.all(writers);
      events += WRITES;
      await read(
        service,
        `round ${round}`,
        Math.round((WRITES / (performance.now() - started)) * 1000),
      );
      if (round === 1) await snapshot(service);
    }
    await sleep(IDLE_SECONDS * 1000);
    await read(service, `idle ${IDLE_SECONDS} s`);
    await snapshot(service);
  } finally {
    await stopService(service);
  }
  const restarted = await startService(env, base);
  try {
    await sleep(IDLE_SECONDS * 1000);
    await read(restarted, `restarted, idle ${IDLE_SECONDS} s`);
  } finally {
    await stopService(restarted);
  }

  const rounds = readings.filter((r) => r.label.startsWith('round '));
  const first = rounds[0] as Reading;
  const last = rounds.at(-1) as Reading;
  const beforeLast = rounds.at(-2) ?? first;
  const idle = readings.at(-2) as Reading;
  const fresh = readings.at(-1) as Reading;
  report(
    'soak',
    [
      benchRow(
        `RSS after ${ROUNDS} rounds of ${WRITES} writes over HTTP`,
        'MB',
        last.rssMb,
        'after round 1',
        first.rssMb,
      ),
      benchRow(
        'RSS added by the last round',
        'MB',
        last.rssMb - beforeLast.rssMb,
        'by round 1',
        first.rssMb - (readings[0] as Reading).rssMb,
      ),
      benchRow(
        `RSS idle ${IDLE_SECONDS} s after the writes`,
        'MB',
        idle.rssMb,
        'restarted on the same ledger',
        fresh.rssMb,
      ),
    ],
    { startEvents: generated.events, writers: WRITERS, readings },
  );
} finally {
  rmSync(folder, { recursive: true, force: true });
}
