import type { ExpectedRevision } from './port.ts';

/** The stream's revision is not what the writer expected; nothing was written. */
export class StreamRevisionConflictError extends Error {
  override readonly name = 'StreamRevisionConflictError';
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
  constructor(cause: unknown) {
    super(`the event store is unavailable: ${cause instanceof Error ? cause.message : cause}`, {
      cause,
    });
  }
}
