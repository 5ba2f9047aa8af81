/** The outbox beside a store, from the same URL (docs/design.md, "Alerts"). */
import { MEMORY_STORE_URL, sqlitePath } from '../../eventstore/open.ts';
import { openMemoryOutbox } from './memory.ts';
import type { Outbox } from './port.ts';
import { openSqliteOutbox } from './sqlite.ts';

/** Null for stores with no database of their own to keep it in (esdb). */
export async function openOutbox(storeUrl: string): Promise<Outbox | null> {
  const path = sqlitePath(storeUrl);
  if (path !== null) return openSqliteOutbox(path);
  if (storeUrl === MEMORY_STORE_URL) return openMemoryOutbox();
  if (/^postgres(ql)?:\/\//.test(storeUrl)) {
    const { openPostgresOutbox } = await import('./postgres.ts');
    return openPostgresOutbox(storeUrl);
  }
  return null;
}
