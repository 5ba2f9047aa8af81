/**
 * The service as a user runs it: built by `npm run build`, started by `npm start` (plain node on
 * dist/, no tsx), stopped by SIGTERM; and the built CLI bin.
 */
import { execFile, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addKey } from '../../src/api/credentials.ts';
import { freePort, REPO_ROOT } from '../reliability/support.ts';

const HOST = '127.0.0.1';

const run = promisify(execFile);
const folder = mkdtempSync(join(tmpdir(), 'ledger-build-'));

beforeAll(async () => {
  await run('npm', ['run', 'build'], { cwd: REPO_ROOT });
}, 600_000);
afterAll(() => rmSync(folder, { recursive: true, force: true }));

describe('the built service', () => {
  it('serves under npm start, echoes request ids, verifies in its worker, and ends cleanly on SIGTERM', async () => {
    const port = await freePort();
    const { key } = addKey(join(folder, 'credentials.json'), 'build-auditor', 'auditor');
    const npm = spawn('npm', ['start'], {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        HOST,
        PORT: String(port),
        LEDGER_STORE: `sqlite:${join(folder, 'ledger.sqlite')}`,
        LEDGER_CREDENTIALS: join(folder, 'credentials.json'),
        LEDGER_CHECKPOINT_KEY: join(folder, 'checkpoint-key'),
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    npm.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    npm.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    const exited = new Promise<number | null>((resolve) => npm.once('exit', resolve));

    const base = `http://${HOST}:${port}`;
    let health: Response | undefined;
    for (let attempt = 0; attempt < 600 && health?.ok !== true; attempt++) {
      health = await fetch(`${base}/healthz`).catch(() => undefined);
      if (health?.ok !== true) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(health?.ok, output).toBe(true);

    const echoed = await fetch(`${base}/healthz`, {
      headers: { 'x-request-id': 'audit-42.a:b_c' },
    });
    expect(echoed.headers.get('x-request-id')).toBe('audit-42.a:b_c');
    const refused = await fetch(`${base}/healthz`, { headers: { 'x-request-id': 'no spaces <>' } });
    expect(refused.headers.get('x-request-id')).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    const long = await fetch(`${base}/healthz`, { headers: { 'x-request-id': 'a'.repeat(129) } });
    expect(long.headers.get('x-request-id')).not.toBe('a'.repeat(129));

    // The verify worker loads dist/src/integrity/verify-worker.js with plain node.
    const verify = await fetch(`${base}/v1/ledger/verify`, {
      headers: { authorization: `Bearer ${key}` },
    });
    expect(await verify.json()).toEqual({ ok: true, events: 0, streams: 0 });

    // npm's own pid, as a supervisor or a terminal signals it (issue 28, item 11): `npm start`
    // execs the server in place of its shell, so the signal reaches the server.
    npm.kill('SIGTERM');

    expect(await exited, output).toBe(0);
    expect(output).toContain('SIGTERM: finishing in-flight requests, then closing the ledger');
    expect(output.trim().split('\n').at(-1)).toContain(
      'closed: no request in flight, the ledger closed',
    );
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();
  }, 120_000);

  it('a production install (npm ci --omit=dev beside the built dist/) serves the console', async () => {
    // What the README ships: the package files and the build output; no sources, no console/.
    const prod = join(folder, 'production');
    mkdirSync(prod);
    for (const each of ['package.json', 'package-lock.json', 'drivers', 'scripts', 'bin', 'dist'])
      cpSync(join(REPO_ROOT, each), join(prod, each), { recursive: true });
    await run('npm', ['ci', '--omit=dev', '--no-audit', '--no-fund', '--prefer-offline'], {
      cwd: prod,
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    expect(existsSync(join(prod, 'node_modules', 'typescript'))).toBe(false);
    expect(existsSync(join(prod, 'console'))).toBe(false);

    const port = await freePort();
    const server = spawn(process.execPath, ['dist/src/main.js'], {
      cwd: prod,
      env: {
        ...process.env,
        NODE_OPTIONS: '',
        HOST,
        PORT: String(port),
        LEDGER_STORE: `sqlite:${join(prod, 'data', 'ledger.sqlite')}`,
        LEDGER_CREDENTIALS: join(prod, 'data', 'credentials.json'),
        LEDGER_CHECKPOINT_KEY: join(prod, 'data', 'checkpoint-key'),
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    server.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    server.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    const exited = new Promise<number | null>((resolve) => server.once('exit', resolve));
    try {
      const base = `http://${HOST}:${port}`;
      let page: Response | undefined;
      for (let attempt = 0; attempt < 600 && page === undefined; attempt++) {
        page = await fetch(`${base}/console/`).catch(() => undefined);
        if (page === undefined) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(page?.status, output).toBe(200);
      const html = (await page?.text()) ?? '';
      expect(html).toContain('<script');
      // The page's own script, from the build output.
      const script = /src="(\/console\/assets\/[^"]+\.js)"/.exec(html)?.[1];
      expect(script, html).toBeDefined();
      const asset = await fetch(`${base}${script}`);
      expect(asset.status).toBe(200);
      expect(asset.headers.get('content-type')).toMatch(/javascript/);
    } finally {
      server.kill('SIGTERM');
      await exited;
    }
  }, 600_000);

  it('runs the CLI bin with plain node, without tsx', async () => {
    const { stdout } = await run(process.execPath, ['bin/compliance-ledger.js', '--version'], {
      cwd: REPO_ROOT,
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    const { version } = (await import('../../package.json', { with: { type: 'json' } })).default;
    expect(stdout.trim()).toBe(version);
  });
});
