import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { firstStartKeysPath } from '../../src/api/first-start-keys.ts';
import { firstStartKeys } from '../support/first-start-keys.ts';
import {
  currentSpecification,
  extensionNotice,
  PROGRAM_ID,
  program,
  SUCCESSOR_SPEC,
  successorSpecification,
} from '../support/founding-case.ts';
import { clockPast, tdpReleaseBody } from './support.ts';

/**
 * The real server (`src/main.ts`) in a child process, over real HTTP: first start, the founding
 * case of docs/design.md §5, graceful shutdown on SIGTERM, and a restart on the same files.
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** Bounds every wait on the child, so a hung server fails the test instead of stalling it. */
const WAIT_MS = 20_000;

interface Server {
  child: ChildProcess;
  base: string;
  stdout: () => string;
  exited: Promise<number | null>;
}

const dir = mkdtempSync(join(tmpdir(), 'ledger-e2e-'));
const credentialsPath = join(dir, 'credentials.json');
const running = new Set<ChildProcess>();

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (!address || typeof address === 'string') throw new Error('no port');
  return address.port;
}

const within = <T>(promise: Promise<T>, what: string): Promise<T> =>
  Promise.race([
    promise,
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), WAIT_MS).unref(),
    ),
  ]);

async function start(): Promise<Server> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      HOST: '127.0.0.1',
      PORT: String(port),
      LEDGER_STORE: `sqlite:${join(dir, 'ledger.sqlite')}`,
      LEDGER_CREDENTIALS: credentialsPath,
      LEDGER_CHECKPOINT_KEY: join(dir, 'checkpoint-key'),
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk) => {
    out += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    err += chunk;
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      running.delete(child);
      resolve(code);
    }),
  );
  const base = `http://127.0.0.1:${port}`;
  // Ready when /healthz answers; fail at once if the process dies first.
  const ready = (async () => {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`server exited ${child.exitCode}: ${err}`);
      try {
        if ((await fetch(`${base}/healthz`)).ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();
  await within(ready, `the server to listen (stderr: ${err})`);
  return { child, base, stdout: () => out, exited };
}

async function stop(server: Server): Promise<number | null> {
  server.child.kill('SIGTERM');
  return within(server.exited, 'the server to exit after SIGTERM');
}

let server: Server;
const keys: Record<string, string> = {};

const http = async (method: 'GET' | 'POST', path: string, as: string, body?: unknown) => {
  const response = await fetch(`${server.base}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${keys[as]}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: text ? JSON.parse(text) : null,
  };
};
const record = async (path: string, body: unknown) => {
  const response = await http('POST', path, 'recorder', body);
  expect(response.status, JSON.stringify(response.body)).toBe(201);
  expect(response.headers.get('etag')).toBe(`"${response.body.revision}"`);
  return response.body as { eventId: string; position: number; revision: number };
};
const status = async (query: string) => {
  const response = await http('GET', `/v1/programs/${PROGRAM_ID}/status?${query}`, 'auditor');
  expect(response.status, JSON.stringify(response.body)).toBe(200);
  return response.body;
};

beforeAll(async () => {
  server = await start();
});
afterAll(async () => {
  for (const child of running) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('the real server over HTTP', () => {
  /** The status questions of the founding case, and their answers before the restart. */
  const questions: string[] = [];
  const answers = new Map<string, unknown>();

  it('creates a recorder and an auditor key on first start, hands them over in a 0600 file (never the log), stores only hashes', () => {
    const keysFile = firstStartKeysPath(credentialsPath);
    expect(statSync(keysFile).mode & 0o777).toBe(0o600);
    Object.assign(keys, firstStartKeys(credentialsPath));
    expect(Object.keys(keys).sort()).toEqual(['auditor', 'recorder']);
    // The log (not a terminal here) says where they are, and holds none of them.
    expect(server.stdout()).toContain(`saved to ${keysFile} (mode 0600)`);
    expect(server.stdout()).not.toContain('lk_');

    const stored = readFileSync(credentialsPath, 'utf8');
    const entries = JSON.parse(stored).keys as { role: string; sha256: string }[];
    expect(entries.map((e) => e.role).sort()).toEqual(['auditor', 'recorder']);
    for (const key of Object.values(keys)) {
      expect(stored).not.toContain(key);
      expect(stored).not.toContain(key.split('_').at(-1));
      const hash = createHash('sha256').update(key).digest('hex');
      expect(entries.map((e) => e.sha256)).toContain(hash);
    }
  });

  it('plays the founding case of docs/design.md §5', async () => {
    await record('/v1/specifications', currentSpecification);
    await record('/v1/specifications', successorSpecification);
    await record('/v1/programs', program);
    const notice = await record(`/v1/programs/${PROGRAM_ID}/notices`, extensionNotice);

    // 1. The 2005 notice: authorized, open-ended, one pending condition.
    const early = await status('at=2006-06-01');
    expect(early).toMatchObject({ status: 'authorized', until: null });
    expect(early.pendingConditions).toHaveLength(1);

    // 2. The TDP release of 2007-05-08, recorded later (record time after `beforeTdp`).
    const beforeTdp = new Date().toISOString();
    await clockPast(beforeTdp);
    const tdp = await record(`/v1/specifications/${SUCCESSOR_SPEC}/tdp-releases`, tdpReleaseBody);
    expect(tdp.position).toBe(notice.position + 1);
    expect(await status('at=2007-06-01')).toMatchObject({
      status: 'authorized',
      until: '2007-09-08',
      pendingConditions: [],
    });
    for (const asKnownAt of [String(tdp.position - 1), encodeURIComponent(beforeTdp)]) {
      const then = await status(`at=2007-06-01&asKnownAt=${asKnownAt}`);
      expect(then, asKnownAt).toMatchObject({ status: 'authorized', until: null });
      expect(then.pendingConditions).toHaveLength(1);
    }

    // 3. The window closed by itself; a shipment after it is recorded, and flagged.
    expect(await status('at=2007-09-08')).toMatchObject({ status: 'expired' });
    const shipment = await record(`/v1/programs/${PROGRAM_ID}/shipments`, {
      shipmentId: 'ship-2007-09-10',
      shippedOn: '2007-09-10',
      units: 40,
    });
    const violations = await http('GET', '/v1/compliance/violations', 'auditor');
    expect(violations.status).toBe(200);
    expect(violations.body.violations).toEqual([
      expect.objectContaining({
        eventId: shipment.eventId,
        shipmentId: 'ship-2007-09-10',
        asKnownNow: expect.objectContaining({ status: 'expired', compliant: false }),
      }),
    ]);

    // The auditor reads, but may not record.
    const forbidden = await http('POST', '/v1/programs', 'auditor', program);
    expect(forbidden.status).toBe(403);
    expect(forbidden.headers.get('content-type')).toMatch(/^application\/problem\+json/);

    questions.push(
      'at=2006-06-01',
      'at=2007-06-01',
      `at=2007-06-01&asKnownAt=${tdp.position - 1}`,
      `at=2007-06-01&asKnownAt=${encodeURIComponent(beforeTdp)}`,
      'at=2007-09-08',
    );
    for (const q of questions) answers.set(q, await status(q));
  });

  it('exits 0 on SIGTERM (graceful shutdown)', async () => {
    expect(await stop(server)).toBe(0);
  });

  it('after a restart on the same files: the same answers, no new keys', async () => {
    server = await start();
    expect(server.stdout()).not.toContain('API key');
    expect(JSON.parse(readFileSync(credentialsPath, 'utf8')).keys).toHaveLength(2);
    expect(questions).toHaveLength(5);
    for (const q of questions) expect(await status(q), q).toEqual(answers.get(q));
    const violations = await http('GET', '/v1/compliance/violations', 'recorder');
    expect(violations.body.violations).toHaveLength(1);
    const verify = await http('GET', '/v1/ledger/verify', 'auditor');
    expect(verify.body).toMatchObject({ ok: true, events: 6 });
    expect(await stop(server)).toBe(0);
  });
});
