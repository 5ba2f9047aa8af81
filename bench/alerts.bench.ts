/**
 * `npm run bench:alerts`: GET status p99 (64 connections) while notices are recorded in the
 * background, without a subscription and with one to a dead receiver (it accepts connections and
 * never answers), taking turns ABAB…: a dead receiver must not slow the queries.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { addKey } from '../src/api/credentials.ts';
import { generateLedger } from './generated-ledger.ts';
import { interleaved, interleavedRow, processCpuMicros, report, type Sample } from './support.ts';

const EVENTS = Math.min(100_000, Number(process.env.LEDGER_BENCH_EVENTS ?? 10_000));
const PROGRAMS = Math.max(1, Math.round(EVENTS / 100));
const SECONDS = Number(process.env.LEDGER_BENCH_SECONDS ?? 10);
const ROUNDS = 3;
const root = fileURLToPath(new URL('..', import.meta.url));

const listen = (server: http.Server) =>
  new Promise<number>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  );

/** p99 and request count of GET status load from a separate process (bench/load.ts). */
const statusLoad = (port: number, authorization: string) =>
  new Promise<{ p99: number; requests: number; non2xx: number }>((resolve, reject) =>
    execFile(
      process.execPath,
      [
        '--import',
        'tsx',
        join(root, 'bench/load.ts'),
        JSON.stringify({
          url: `http://127.0.0.1:${port}`,
          kind: 'status',
          programs: PROGRAMS,
          connections: 64,
          seconds: SECONDS,
          authorization,
        }),
      ],
      { cwd: root },
      (error, stdout) =>
        error ? reject(error) : resolve(JSON.parse(stdout.trim().split('\n').at(-1) as string)),
    ),
  );

const folder = mkdtempSync(join(tmpdir(), 'ledger-bench-alerts-'));
const dead = http.createServer(() => {}); // holds every request unanswered
const deadPort = await listen(dead);
let server: ChildProcess | undefined;
try {
  const file = join(folder, 'ledger.sqlite');
  await generateLedger(file, EVENTS);
  const credentials = join(folder, 'credentials.json');
  const recorder = `Bearer ${addKey(credentials, 'bench', 'recorder').key}`;
  const admin = `Bearer ${addKey(credentials, 'bench-admin', 'admin').key}`;
  const probe = http.createServer();
  const port = await listen(probe);
  await new Promise((resolve) => probe.close(resolve));
  server = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: root,
    env: {
      ...process.env,
      PORT: String(port),
      LEDGER_STORE: `sqlite:${file}`,
      LEDGER_CREDENTIALS: credentials,
      LEDGER_CHECKPOINT_KEY: join(folder, 'checkpoint-key'),
      LEDGER_RATE_LIMIT: '100000000',
      LEDGER_ADDRESS_RATE_LIMIT: '100000000',
      LOG_LEVEL: 'silent',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (
      await fetch(`${base}/readyz`).then(
        (r) => r.ok,
        () => false,
      )
    )
      break;
    if (i > 1200) throw new Error('server did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
  const ask = (method: string, path: string, key: string, body?: unknown) =>
    fetch(`${base}${path}`, {
      method,
      headers: { authorization: key, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });

  let notices = 0;
  /** A letter every 100 ms while the load runs: each is an alert to deliver. */
  async function measured(): Promise<Sample> {
    let writing = true;
    const writer = (async () => {
      while (writing) {
        notices++;
        await ask('POST', `/v1/programs/program-${notices % PROGRAMS}/notices`, recorder, {
          noticeId: `bench-notice-${notices}`,
          issuer: 'USPS',
          receivedOn: '2007-01-01',
          documentRef: 'bench',
          summary: 'a letter',
          terms: [],
        });
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    const cpu = processCpuMicros(server?.pid as number);
    const load = await statusLoad(port, recorder);
    writing = false;
    await writer;
    if (load.non2xx > 0) console.warn(`${load.non2xx} non-2xx answers`);
    return {
      value: load.p99,
      cpuMicros: (processCpuMicros(server?.pid as number) - cpu) / load.requests,
    };
  }

  await measured(); // warm-up: JIT, page cache and status cache, measured by neither side
  const latencies = await interleaved(ROUNDS, {
    baseline: measured,
    ours: async () => {
      const created = await ask('POST', '/v1/subscriptions', admin, {
        url: `http://127.0.0.1:${deadPort}/dead`,
        types: ['ledger.letter.recorded', 'ledger.status.changed', 'ledger.violation.recorded'],
      });
      const { id } = (await created.json()) as { id: string };
      try {
        return await measured();
      } finally {
        await ask('DELETE', `/v1/subscriptions/${id}`, admin);
      }
    },
  });
  report('alerts', [
    interleavedRow(
      'GET status p99 with a dead alert receiver',
      'ms',
      latencies,
      'no subscription',
      {
        note: `64 connections, ${SECONDS} s per round, a notice recorded every 100 ms; machine shared with other engineers' test runs`,
        cpuUnit: 'µs/request',
      },
    ),
  ]);
} finally {
  if (server) {
    server.kill('SIGTERM');
    await once(server, 'exit');
  }
  dead.closeAllConnections();
  dead.close();
  rmSync(folder, { recursive: true, force: true });
}
