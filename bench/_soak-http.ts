/**
 * Probe (not a bench row yet): the built service (dist/src/main.js) in its own process, rounds
 * of shipment POSTs over HTTP, its VmRSS / smaps and /metrics heap figures after each round,
 * after an idle pause, and after a restart on the same ledger.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addKey } from '../src/api/credentials.ts';
import { generateLedger } from './generated-ledger.ts';

const EVENTS = Number(process.env.LEDGER_BENCH_EVENTS ?? 20_000);
const ROUNDS = Number(process.env.LEDGER_SOAK_ROUNDS ?? 4);
const WRITES = Number(process.env.LEDGER_SOAK_WRITES ?? 8_000);
const IDLE = Number(process.env.LEDGER_SOAK_IDLE_SECONDS ?? 30);
const NODE_ARGS = (process.env.LEDGER_SOAK_NODE_ARGS ?? '').split(' ').filter(Boolean);
const root = new URL('..', import.meta.url).pathname;
const TOKEN = 'm'.repeat(40);

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

function memory(pid: number) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (text: string, name: string) =>
    Math.round(Number(new RegExp(`${name}:\\s+(\\d+)`).exec(text)?.[1] ?? 0) / 1024);
  return {
    rss: kb(status, 'VmRSS'),
    anon: kb(status, 'RssAnon'),
    file: kb(status, 'RssFile'),
    hwm: kb(status, 'VmHWM'),
  };
}

async function heap(port: number) {
  const text = await (
    await fetch(`http://127.0.0.1:${port}/metrics`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    })
  ).text();
  const value = (name: string) =>
    Math.round(Number(new RegExp(`^${name} (\\S+)`, 'm').exec(text)?.[1] ?? 0) / 1024 / 1024);
  const space = (name: string, space: string) =>
    Math.round(
      Number(new RegExp(`^${name}\\{space="${space}"\\} (\\S+)`, 'm').exec(text)?.[1] ?? 0) /
        1024 /
        1024,
    );
  return {
    heapUsed: value('nodejs_heap_size_used_bytes'),
    heapTotal: value('nodejs_heap_size_total_bytes'),
    external: value('nodejs_external_memory_bytes'),
    old: `${space('nodejs_heap_space_size_used_bytes', 'old')}/${space('nodejs_heap_space_size_total_bytes', 'old')}`,
    young: `${space('nodejs_heap_space_size_used_bytes', 'new')}/${space('nodejs_heap_space_size_total_bytes', 'new')}`,
  };
}

async function start(env: NodeJS.ProcessEnv, port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, [...NODE_ARGS, 'dist/src/main.js'], {
    cwd: root,
    env: { ...process.env, ...env, PORT: String(port) },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  for (let i = 0; i < 600; i++) {
    const ok = await fetch(`http://127.0.0.1:${port}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return child;
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error('not ready');
}

const folder = mkdtempSync(join(tmpdir(), 'ledger-soak-http-'));
try {
  const file = join(folder, 'ledger.sqlite');
  const generated = await generateLedger(file, EVENTS);
  const credentials = join(folder, 'credentials.json');
  const { key } = addKey(credentials, 'soak', 'recorder');
  const env = {
    LEDGER_STORE: `sqlite:${file}`,
    LEDGER_CREDENTIALS: credentials,
    LEDGER_RATE_LIMIT: '100000000',
    LEDGER_ADDRESS_RATE_LIMIT: '100000000',
    LEDGER_CHECKPOINT_KEY: join(folder, 'checkpoint-key'),
    LEDGER_METRICS_TOKEN: TOKEN,
    LOG_LEVEL: 'silent',
  };
  const port = await freePort();
  let server = await start(env, port);
  const pid = server.pid as number;
  const sample = async (label: string) =>
    console.log(JSON.stringify({ label, ...memory(pid), ...(await heap(port)) }));
  await sample('start');
  for (let round = 1; round <= ROUNDS; round++) {
    const started = performance.now();
    await Promise.all(
      Array.from({ length: 8 }, async (_, w) => {
        for (let i = w; i < WRITES; i += 8) {
          const response = await fetch(
            `http://127.0.0.1:${port}/v1/programs/program-${i % generated.programs}/shipments`,
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
          await response.arrayBuffer();
          if (response.status !== 201) throw new Error(`write answered ${response.status}`);
        }
      }),
    );
    const perSecond = Math.round((WRITES / (performance.now() - started)) * 1000);
    await sample(`round ${round} (${perSecond}/s)`);
  }
  await new Promise((r) => setTimeout(r, IDLE * 1000));
  await sample(`idle ${IDLE} s`);
  server.kill('SIGTERM');
  await once(server, 'exit');
  server = await start(env, port);
  const fresh = server.pid as number;
  await new Promise((r) => setTimeout(r, 3000));
  console.log(JSON.stringify({ label: 'restart', ...memory(fresh), ...(await heap(port)) }));
  server.kill('SIGTERM');
  await once(server, 'exit');
} finally {
  rmSync(folder, { recursive: true, force: true });
}
