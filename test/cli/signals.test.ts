/**
 * Issue 28, item 10: every command ends promptly on Ctrl-C (SIGINT) or SIGTERM, also while it
 * works through a large ledger, and says so by its exit (not 0: the work was not done).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateLedger } from '../../bench/generated-ledger.ts';

const EVENTS = 100_000;
/** Only that the process ends at all: far beyond a prompt exit, far below the command's own run. */
const EXIT_BOUND_MS = 60_000;

let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ledger-signals-'));
  await generateLedger(join(dir, 'ledger.sqlite'), EVENTS);
}, 300_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `replay` of the whole generated ledger, as a user runs it: it reports each tenth on stderr. */
function longCommand(): ChildProcess {
  return spawn(
    process.execPath,
    [
      '--import',
      import.meta.resolve('tsx'),
      join(import.meta.dirname, '../../src/cli/main.ts'),
      '--store',
      'sqlite:ledger.sqlite',
      'replay',
    ],
    {
      cwd: dir,
      env: { ...process.env, LEDGER_STORE: '', LEDGER_CHECKPOINT_KEY: '', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
}

/** Sends `signal` once the command is working through the ledger; how it ended. */
async function interrupt(signal: NodeJS.Signals) {
  const child = longCommand();
  child.stdout?.resume();
  let stderr = '';
  child.stderr?.on('data', (chunk) => {
    stderr += chunk;
  });
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  // Signalled at its first tenth: mid-work however fast the machine (a fixed 4 s wait was past
  // the whole command on a quiet Node 24).
  await new Promise<void>((resolve, reject) => {
    child.stderr?.on('data', () => {
      if (/\(\d+%\)/.test(stderr)) resolve();
    });
    child.once('exit', () => reject(new Error(`the command ended before the signal: ${stderr}`)));
  });
  child.kill(signal);
  const bound = setTimeout(() => child.kill('SIGKILL'), EXIT_BOUND_MS);
  const [code, bySignal] = await exited;
  clearTimeout(bound);
  return { code, bySignal, stderr };
}

describe('a long command and a signal', () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const)
    it(`ends on ${signal}, not successfully`, async () => {
      const ended = await interrupt(signal);
      // Ended by the signal itself, or by the CLI with a non-zero code; never SIGKILLed by the bound.
      expect(
        ended.bySignal === signal || (ended.code !== null && ended.code !== 0),
        ended.stderr,
      ).toBe(true);
      expect(ended.bySignal).not.toBe('SIGKILL');
      expect(ended.stderr).not.toMatch(/\n\s+at /);
    }, 120_000);
});
