/**
 * The `--store` option of CLI commands: the service's Config, and the store or ledger a store URL
 * opens through the composition root.
 */
import { type Ledger, openLedger } from '../composition/open-ledger.ts';
import { type Config, loadConfig } from '../config.ts';
import { openEventStore, UnknownStoreSchemeError } from '../eventstore/open.ts';
import type { EventStore } from '../eventstore/port.ts';
import { CliError, EXIT } from './exit-codes.ts';

let config: Config | undefined;

/** The service's settings from the environment, parsed once; options override some of them. */
export function cliConfig(): Config {
  if (config === undefined) {
    try {
      config = loadConfig(process.env);
    } catch (error) {
      throw new CliError(EXIT.usage, (error as Error).message);
    }
  }
  return config;
}

/**
 * The store a `--store` URL names (same syntax and default as the server's LEDGER_STORE).
 * `readOnly` (every command that only reads) creates nothing: a missing file is an error.
 */
export async function openStore(
  url: string,
  options: { readOnly?: boolean } = {},
): Promise<EventStore> {
  try {
    return await openEventStore(url, options);
  } catch (error) {
    if (error instanceof UnknownStoreSchemeError)
      throw new CliError(EXIT.usage, `--store ${(error as Error).message}`);
    throw new CliError(EXIT.failure, `cannot open store ${url}: ${(error as Error).message}`);
  }
}

/**
 * Opens the ledger read-only for one query: nothing is created or saved; the server's
 * projection checkpoints are used only where its read-model key is readable (its own machine),
 * else every read model is rebuilt from the events (a copy).
 */
export async function withLedger<T>(url: string, use: (ledger: Ledger) => Promise<T>): Promise<T> {
  let ledger: Ledger;
  try {
    ledger = await openLedger({ ...cliConfig(), LEDGER_STORE: url }, { readOnly: true });
  } catch (error) {
    throw new CliError(EXIT.failure, `cannot open store ${url}: ${(error as Error).message}`);
  }
  try {
    return await use(ledger);
  } finally {
    await ledger.close();
  }
}
