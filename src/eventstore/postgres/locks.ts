/**
 * Transaction-level advisory locks of a ledger database (pg_advisory_xact_lock(class, key)):
 * released by COMMIT or ROLLBACK, and by the server when a connection dies, so a crashed writer
 * never leaves one held.
 */
const LEDGER = 0x4c454447; // "LEDG"

export const LOCK = {
  /** Held by every transaction that writes events: positions are handed out in commit order. */
  appends: [LEDGER, 1],
  /** Held while appending a signed checkpoint note, so notes get consecutive indexes. */
  checkpoints: [LEDGER, 2],
  migrations: [LEDGER, 3],
} as const satisfies Record<string, readonly [number, number]>;

/** The channel NOTIFY wakes subscribers on, in every process, after each commit of events. */
export const COMMIT_CHANNEL = 'ledger_events';
