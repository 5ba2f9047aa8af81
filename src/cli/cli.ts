/** The `compliance-ledger` program and what every command shares: settings, global options, output. */
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import type { Config } from '../config.ts';
import { limitTableRows, printJson } from './render.ts';

export interface Cli {
  program: Command;
  /** The service's settings (environment, parsed by the same Config as the server's). */
  config: Config;
  globals(): { store: string; json?: boolean };
  /** Prints `rows` as JSON under --json, else what `render` gives. */
  out(rows: unknown, render: () => string): void;
}

export const CLI_NAME = 'compliance-ledger';

export function createCli(config: Config): Cli {
  const program = new Command(CLI_NAME)
    .description(
      "The compliance ledger's auditor tool: status, audit trails, replay, verify, signed checkpoints and proofs, audit, export and import.",
    )
    .version(packageVersion(), '-V, --version')
    .option(
      '--store <url>',
      'the store: sqlite:<path>, postgres://user:pw@host:5432/db, esdb://host:2113?tls=false or memory:',
      config.LEDGER_STORE,
    )
    .option('--json', 'machine-readable JSON instead of tables')
    .option('--all', 'every row of a table on a terminal, not only a screenful')
    // Every subcommand's help lists --store, --json and --all too: they go before or after it.
    .configureHelp({ showGlobalOptions: true })
    .showHelpAfterError(false)
    .exitOverride()
    .hook('preAction', () => limitTableRows(globals().all === true));
  const globals = () => program.opts<{ store: string; json?: boolean; all?: boolean }>();
  return {
    program,
    config,
    globals,
    out: (rows, render) => {
      if (globals().json) printJson(rows);
      else process.stdout.write(`${render()}\n`);
    },
  };
}

/** The package's version, from the package.json above this file (in src/cli or dist/src/cli). */
function packageVersion(): string {
  for (let dir = new URL('.', import.meta.url); ; dir = new URL('..', dir)) {
    try {
      const manifest = JSON.parse(readFileSync(new URL('package.json', dir), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (manifest.name === CLI_NAME && manifest.version) return manifest.version;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    if (dir.pathname === '/')
      throw new Error(`no package.json of ${CLI_NAME} above ${import.meta.url}`);
  }
}
