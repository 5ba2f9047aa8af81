/** Opens the EventStore a URL names (docs/design.md, "Stores"). */
import { openMemoryEventStore } from './memory.ts';
import type { EventStore } from './port.ts';
import { openSqliteEventStore } from './sqlite/index.ts';

export const DEFAULT_STORE_URL = 'sqlite:./data/ledger.sqlite';
/** The store that lives as long as the process. */
export const MEMORY_STORE_URL = 'memory:';

/**
 * `sqlite:<path>` (an empty path means ./data/ledger.sqlite), `memory:`,
 * `postgres://user:password@host:5432/db?pool_size=10&statement_timeout=30000` (or
 * `postgresql://`), or `esdb://host:2113?tls=false`. `readOnly` opens an existing SQLite file
 * without creating anything (the other stores create no local files anyway).
 */
export function openEventStore(
  url: string = DEFAULT_STORE_URL,
  options: { readOnly?: boolean } = {},
): EventStore | Promise<EventStore> {
  const path = sqlitePath(url);
  if (path !== null) return openSqliteEventStore(path, options);
  if (url === MEMORY_STORE_URL) return openMemoryEventStore();
  if (/^postgres(ql)?:\/\//.test(url)) {
    return import('./postgres/store.ts').then(({ openPostgresEventStore }) =>
      openPostgresEventStore(url),
    );
  }
  if (/^esdb(\+discover)?:\/\//.test(url)) {
    // Loaded on demand: the gRPC client is heavy and only production needs it.
    return import('./esdb/index.ts').then(({ openEsdbEventStore }) => openEsdbEventStore(url));
  }
  // Only the scheme is echoed: an esdb-like URL may carry credentials.
  const scheme = /^[a-z][a-z0-9+.-]*:/i.exec(url)?.[0] ?? '(none)';
  throw new UnknownStoreSchemeError(
    `unknown event store URL scheme ${scheme}: use sqlite:<path>, memory:, postgres://user@host/db or esdb://host:2113?tls=false`,
  );
}

/** A store URL of no scheme the ledger knows: a usage error, not a store that failed. */
export class UnknownStoreSchemeError extends Error {
  override readonly name = 'UnknownStoreSchemeError';
}

/** The file a `sqlite:` URL names (an empty path means ./data/ledger.sqlite); null for other stores. */
export function sqlitePath(url: string): string | null {
  return url.startsWith('sqlite:')
    ? url.slice('sqlite:'.length) || DEFAULT_STORE_URL.slice('sqlite:'.length)
    : null;
}
