import { readFileSync } from 'node:fs';
import { Option } from 'commander';
import type { Config } from '../config.ts';
import { CliError, EXIT } from './exit-codes.ts';

/** `--key-dir`, defaulting to the server's LEDGER_CHECKPOINT_KEY. */
export const keyDirOption = (config: Config) =>
  new Option(
    '--key-dir <dir>',
    "the checkpoint key folder, as the server's LEDGER_CHECKPOINT_KEY",
  ).default(config.LEDGER_CHECKPOINT_KEY);

export const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

/** The text of a file an option names; a usage error when it cannot be read. */
export function readText(file: string, option: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new CliError(EXIT.usage, `${option}: cannot read ${file}: ${(error as Error).message}`);
  }
}
