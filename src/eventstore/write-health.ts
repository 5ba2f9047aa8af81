/**
 * Whether a store can write (docs/design.md, "Operations"): a full disk or an I/O error on a
 * write makes the store not healthy, so /readyz says not ready, until a write succeeds again.
 * Readiness alone cannot find it out: reads go on working on a full disk.
 */
import { StoreCannotWriteError } from './errors.ts';
import type { EventStore } from './port.ts';

/** SQLite's full disk and I/O errors (extended codes too), the OS's, PostgreSQL's disk full. */
const CANNOT_WRITE = /^(SQLITE_FULL|SQLITE_IOERR(_\w+)?|ENOSPC|EDQUOT|EIO|53100)$/;

/** Is `error`, or an error it was caused by, a store that cannot write? */
export function isCannotWrite(error: unknown): boolean {
  for (let e = error; e instanceof Error; e = e.cause) {
    if (e instanceof StoreCannotWriteError) return true;
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && CANNOT_WRITE.test(code)) return true;
  }
  return false;
}

/** `store` with its writes watched: a failed one raises StoreCannotWriteError and the alarm. */
export function watchingWrites(store: EventStore): EventStore {
  let failure: string | null = null;
  async function write<T>(work: () => Promise<T>): Promise<T> {
    try {
      const result = await work();
      failure = null;
      return result;
    } catch (error) {
      if (!isCannotWrite(error)) throw error;
      const cannot =
        error instanceof StoreCannotWriteError ? error : new StoreCannotWriteError(error);
      failure = cannot.message;
      throw cannot;
    }
  }
  const { importRecorded } = store;
  return {
    ...store,
    append: (stream, events, options) => write(() => store.append(stream, events, options)),
    ...(importRecorded
      ? { importRecorded: (events) => write(() => importRecorded.call(store, events)) }
      : {}),
    health: () =>
      failure !== null
        ? { ok: false, detail: `${failure}; ready again once a write succeeds` }
        : (store.health?.() ?? { ok: true, detail: 'store can write' }),
  };
}
