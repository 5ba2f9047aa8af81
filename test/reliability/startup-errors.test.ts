/**
 * A service that cannot start says why in one line naming the setting, and exits non-zero
 * (issue 14, item 11): never a stack trace. The real entry point, spawned.
 */
import { spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { START_EXIT } from '../../src/startup.ts';
import { createLedgerFiles, REPO_ROOT, removeAllFiles } from './support.ts';

let taken: Server;
let takenPort = 0;
beforeAll(async () => {
  taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  takenPort = (taken.address() as { port: number }).port;
});
afterAll(async () => {
  await new Promise((resolve) => taken.close(resolve));
  removeAllFiles();
});

function start(env: Record<string, string>) {
  const files = createLedgerFiles();
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      HOST: '127.0.0.1',
      PORT: '0',
      LEDGER_STORE: files.storeUrl,
      LEDGER_CREDENTIALS: files.credentialsPath,
      LEDGER_CHECKPOINT_KEY: join(files.dir, 'checkpoint-key'),
      LOG_LEVEL: 'warn',
      ...env,
    },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: run.status, stderr: run.stderr.trim() };
}

describe('a start that fails', () => {
  it.each([
    ['an invalid setting', { PORT: 'abc' }, /PORT/, START_EXIT.config],
    [
      'an unknown store scheme',
      { LEDGER_STORE: 'mysql://db' },
      /LEDGER_STORE.*sqlite:/,
      START_EXIT.config,
    ],
    [
      'a store folder that cannot be made',
      { LEDGER_STORE: 'sqlite:/dev/null/ledger/l.sqlite' },
      /LEDGER_STORE sqlite:\/dev\/null/,
      START_EXIT.config,
    ],
    [
      'an unreachable store',
      { LEDGER_STORE: 'postgres://ledger:secret@127.0.0.1:1/ledger' },
      /LEDGER_STORE postgres:\/\/ledger:\*\*\*@127\.0\.0\.1:1\/ledger: cannot be reached/,
      START_EXIT.unavailable,
    ],
  ])('with %s is one line naming the setting', (_, env, names, exitCode) => {
    const { status, stderr } = start(env);
    expect(status).toBe(exitCode);
    expect(stderr).toMatch(names);
    expect(stderr).toMatch(/^compliance-ledger: cannot start: /);
    expect(stderr.split('\n')).toHaveLength(1);
    expect(stderr).not.toContain('secret');
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('on a port in use is one line naming HOST and PORT', () => {
    const { status, stderr } = start({ PORT: String(takenPort) });
    expect(status).toBe(START_EXIT.unavailable);
    expect(stderr).toMatch(
      new RegExp(
        `^compliance-ledger: cannot start: HOST:PORT 127\\.0\\.0\\.1:${takenPort}: the address is in use`,
      ),
    );
    expect(stderr.split('\n')).toHaveLength(1);
  });
});
