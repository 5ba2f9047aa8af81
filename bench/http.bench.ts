/**
 * `npm run bench:http`: durable command throughput over HTTP (64 connections, shipments spread
 * over 1,000 programs), status query, pre-shipment check and a batch of checks (nothing written)
 * throughput and p99, each beside a bare fastify server that parses the same JSON and answers.
 * Servers and the load generator are separate processes.
 * The bare server and ours take turns, ABAB…, for ROUNDS rounds of each kind; rows give medians
 * with min–max, and each server's CPU time per request (read from /proc around each round).
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { addKey } from '../src/api/credentials.ts';
import { generateLedger } from './generated-ledger.ts';
import {
  type BenchRow,
  interleaved,
  interleavedRow,
  processCpuMicros,
  report,
  type Sample,
} from './support.ts';

/** 100 events per program; LEDGER_BENCH_EVENTS below 100,000 shrinks the ledger for a quick look. */
const PROGRAMS = Math.max(
  1,
  Math.round(Math.min(100_000, Number(process.env.LEDGER_BENCH_EVENTS ?? 100_000)) / 100),
);
const CONNECTIONS = 64;
const SECONDS = Number(process.env.LEDGER_BENCH_SECONDS ?? 10);
const ROUNDS = 5;
/** Lines per POST /v1/checks in the batch rows: one order, each line another program. */
const LINES_PER_BATCH = 20;
const root = fileURLToPath(new URL('..', import.meta.url));

interface Load {
  requestsPerSecond: number;
  requests: number;
  p50: number;
  p99: number;
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
}

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

/** Starts a server process and waits until `readyUrl` answers 200; kills it if it never does. */
async function start(
  args: string[],
  env: NodeJS.ProcessEnv,
  readyUrl: string,
): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  for (let i = 0; i < 600; i++) {
    if (
      await fetch(readyUrl).then(
        (r) => r.ok,
        () => false,
      )
    )
      return child;
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`${args.join(' ')} did not become ready at ${readyUrl}`);
}

type Kind = 'shipments' | 'status' | 'checks' | 'batches';

function load(url: string, kind: Kind, authorization: string): Promise<Load> {
  const options = JSON.stringify({
    url,
    kind,
    programs: PROGRAMS,
    connections: CONNECTIONS,
    seconds: SECONDS,
    authorization,
    lines: LINES_PER_BATCH,
  });
  return new Promise((resolve, reject) =>
    execFile(
      process.execPath,
      ['--import', 'tsx', join(root, 'bench/load.ts'), options],
      { cwd: root },
      (error, stdout) =>
        error ? reject(error) : resolve(JSON.parse(stdout.trim().split('\n').at(-1) as string)),
    ),
  );
}

const MEASURES: Record<Kind, string> = {
  shipments: 'POST shipment (durable append)',
  status: 'GET status',
  checks: 'POST check (nothing written)',
  batches: `POST checks, ${LINES_PER_BATCH} lines over ${LINES_PER_BATCH} programs (nothing written)`,
};

async function stop(child: ChildProcess): Promise<void> {
  child.kill('SIGTERM');
  await once(child, 'exit');
}

const folder = mkdtempSync(join(tmpdir(), 'ledger-bench-http-'));
try {
  const file = join(folder, 'ledger.sqlite');
  const generated = await generateLedger(file, PROGRAMS * 100);
  console.log(`generated ${generated.events} events over ${generated.programs} programs`);
  const credentials = join(folder, 'credentials.json');
  const { key } = addKey(credentials, 'bench', 'recorder');
  const authorization = `Bearer ${key}`;
  const ourPort = await freePort();
  const barePort = await freePort();
  const ours = await start(
    ['src/main.ts'],
    {
      PORT: String(ourPort),
      LEDGER_STORE: `sqlite:${file}`,
      LEDGER_CREDENTIALS: credentials,
      LEDGER_RATE_LIMIT: '100000000',
      LEDGER_ADDRESS_RATE_LIMIT: '100000000',
      LEDGER_CHECKPOINT_KEY: join(folder, 'checkpoint-key'),
      LOG_LEVEL: 'silent',
    },
    `http://127.0.0.1:${ourPort}/readyz`,
  );
  const bare = await start(
    ['bench/bare-server.ts', String(barePort)],
    {},
    `http://127.0.0.1:${barePort}/v1/programs/p/status`,
  ).catch(async (error) => {
    await stop(ours);
    throw error;
  });
  try {
    const rows: BenchRow[] = [];
    const errors: string[] = [];
    for (const kind of ['shipments', 'status', 'checks', 'batches'] as const) {
      const latencies = { baseline: [] as Sample[], ours: [] as Sample[] };
      const round =
        (server: ChildProcess, port: number, side: 'baseline' | 'ours') =>
        async (): Promise<Sample> => {
          const cpu = processCpuMicros(server.pid as number);
          const measured = await load(`http://127.0.0.1:${port}`, kind, authorization);
          const cpuMicros = (processCpuMicros(server.pid as number) - cpu) / measured.requests;
          latencies[side].push({ value: measured.p99, cpuMicros });
          if (side === 'ours')
            errors.push(`${measured.non2xx + measured.errors + measured.timeouts}`);
          return { value: measured.requestsPerSecond, cpuMicros };
        };
      const throughput = await interleaved(ROUNDS, {
        baseline: round(bare, barePort, 'baseline'),
        ours: round(ours, ourPort, 'ours'),
      });
      const measure = MEASURES[kind];
      const note = `ours non-2xx per round: ${errors.splice(0).join(', ')}`;
      rows.push(
        interleavedRow(measure, 'req/s', throughput, 'bare fastify', {
          aim: kind === 'shipments' ? '>= 0.40' : '>= 0.60',
          note,
          cpuUnit: 'µs/request',
        }),
        interleavedRow(`${measure}: p99 latency`, 'ms', latencies, 'bare fastify', {
          cpuUnit: 'µs/request',
        }),
      );
    }
    report('http', rows);
  } finally {
    await Promise.all([stop(ours), stop(bare)]);
  }
} finally {
  rmSync(folder, { recursive: true, force: true });
}
