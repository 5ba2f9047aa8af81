import { execFile } from 'node:child_process';
import { join } from 'node:path';

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

// The sources through tsx, so the tests run what is checked out; test/build.test.ts runs the built bin.
const cli = [
  '--import',
  import.meta.resolve('tsx'),
  join(import.meta.dirname, '../../src/cli/main.ts'),
];

/**
 * Runs the real `ledger` binary in a child process in `cwd`, with none of the developer's own
 * LEDGER_* settings leaking in.
 */
export const ledgerBinary =
  (cwd: string) =>
  (...args: string[]): Promise<Run> =>
    new Promise((resolve) => {
      execFile(
        process.execPath,
        [...cli, ...args],
        {
          cwd,
          env: { ...process.env, LEDGER_STORE: '', LEDGER_CHECKPOINT_KEY: '', NO_COLOR: '1' },
        },
        (error, stdout, stderr) =>
          resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });
