import type { ExpectedRevision } from './port.ts';

/** The stream's revision is not what the writer expected; nothing was written. */
export class StreamRevisionConflictError extends Error {
  override readonly name = 'StreamRevisionConflictError';
  /** The API's answer (api/plugins/errors.ts reads these; nothing there names this class). */
  readonly problemStatus = 409;
  readonly problemType = 'revision-conflict';
  readonly problemTitle = 'Revision conflict';
  constructor(
    readonly stream: string,
    readonly expected: ExpectedRevision,
    /** The stream's last revision, or -1 when it does not exist. */
    readonly actual: number,
  ) {
    super(
      `stream ${stream}: expected revision ${expected}, actual ${actual < 0 ? 'no stream' : actual}`,
    );
  }
}

/** An event id is already stored with other content, or at another place; nothing was written. */
export class EventIdConflictError extends Error {
  override readonly name = 'EventIdConflictError';
  /** The API's answer (api/plugins/errors.ts reads these; nothing there names this class). */
  readonly problemStatus = 422;
  readonly problemType = 'idempotency-key-reused';
  readonly problemTitle = 'Idempotency-Key reused';
  constructor(
    readonly eventId: string,
    readonly detail: string,
  ) {
    super(`event ${eventId}: ${detail}`);
  }
}

/** The store cannot be reached (a database restart, a dropped connection); nothing was acknowledged. */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
  /** The API's answer (api/plugins/errors.ts reads these; nothing there names this class). */
  readonly problemStatus = 503;
  readonly problemType = 'store-unavailable';
  readonly problemTitle = 'Event store unavailable';
  readonly problemDetail =
    'the event store cannot be reached right now; retry with the same Idempotency-Key, which never records a command twice';
  readonly retryAfterSeconds = 1;
  constructor(cause: unknown) {
    super(`the event store is unavailable: ${cause instanceof Error ? cause.message : cause}`, {
      cause,
    });
  }
}

/**
 * The store deleted the stream behind the ledger's back (KurrentDB: soft-deleted or
 * tombstoned), so its history is gone from reads; nothing was written, and the ledger never
 * writes to it again.
 */
export class DeletedStreamError extends Error {
  override readonly name = 'DeletedStreamError';
  /** The API's answer (api/plugins/errors.ts reads these; nothing there names this class). */
  readonly problemStatus = 410;
  readonly problemType = 'stream-deleted';
  readonly problemTitle = 'Stream deleted in the event store';
  constructor(
    readonly stream: string,
    readonly detail: string,
  ) {
    super(`stream ${stream} was deleted in the event store (${detail}); nothing was written`);
  }
}

/** The append is larger than the store takes in one append; nothing was written. */
export class AppendTooLargeError extends Error {
  override readonly name = 'AppendTooLargeError';
  /** The API's answer (api/plugins/errors.ts reads these; nothing there names this class). */
  readonly problemStatus = 413;
  readonly problemType = 'append-too-large';
  readonly problemTitle = 'Append too large for the event store';
  constructor(
    readonly stream: string,
    readonly bytes: number,
    readonly limit: number,
    what: string,
  ) {
    super(`append to ${stream}: ${what} of ${bytes} bytes exceeds the store's limit of ${limit}`);
  }
}

/** The store's Merkle tree did not reach the head of the log in time; ask again. */
export class MerkleTreeBehindError extends Error {
  override readonly name = 'MerkleTreeBehindError';
  /** The API's answer (api/plugins/errors.ts reads these; nothing there names this class). */
  readonly problemStatus = 503;
  readonly problemType = 'merkle-tree-behind';
  readonly problemTitle = 'The Merkle tree is behind';
}

/**
 * Two builders of the Merkle tree over one log disagree (another instance signed a checkpoint
 * this one's tree contradicts): nothing is signed until an operator looks.
 */
export class MerkleForkError extends Error {
  override readonly name = 'MerkleForkError';
  /** The API's answer (api/plugins/errors.ts reads these; nothing there names this class). */
  readonly problemStatus = 500;
  readonly problemType = 'merkle-fork';
  readonly problemTitle = 'Merkle fork alarm';
}

/**
 * The store cannot write (a full disk, an I/O error): nothing was acknowledged. Unlike
 * StoreUnavailableError it does not pass by itself; the service is not ready until a write
 * succeeds again.
 */
export class StoreCannotWriteError extends Error {
  override readonly name = 'StoreCannotWriteError';
  /** The API's answer (api/plugins/errors.ts reads these; nothing there names this class). */
  readonly problemStatus = 503;
  readonly problemType = 'store-cannot-write';
  readonly problemTitle = 'Event store cannot write';
  readonly problemDetail =
    'the event store cannot write (disk full or an I/O error); nothing was recorded: retry with the same Idempotency-Key once an operator has freed space';
  readonly retryAfterSeconds = 60;
  constructor(cause: unknown) {
    super(`the event store cannot write: ${cause instanceof Error ? cause.message : cause}`, {
      cause,
    });
  }
}
