/**
 * The messages between the store (main thread) and its writer thread, and how an append's
 * refusal crosses between them: structured cloning keeps only an error's message, so the
 * refusals callers tell apart by class are sent as their fields and rebuilt on arrival.
 */

import { type CanonicalEvent, canonicalEvent } from '../../core/event-hash.ts';
import type { Outcome, QueuedAppend } from '../append-plan.ts';
import { EventIdConflictError, StreamRevisionConflictError } from '../errors.ts';
import type { AppendResult, EventToAppend, ExpectedRevision } from '../port.ts';

/** What the writer thread is started with. */
export interface WriterSettings {
  path: string;
  busyTimeoutMs: number;
  merkle: boolean;
}

/**
 * An append as sent to the writer: its data only as the canonical text, the one thing the
 * writer stores and hashes (cloning a string costs less than cloning the parsed value), and
 * its other canonical members, written here so the writer thread, which does every commit
 * alone, only joins and hashes them.
 */
export type WireAppend = QueuedAppend;

export function toWireAppend({ stream, events, expectedRevision }: QueuedAppend): WireAppend {
  return {
    stream,
    expectedRevision,
    events: events.map(({ event: { eventId, type, metadata }, dataJson }) => {
      const event = { eventId, type, metadata };
      return { event, dataJson, ...canonicalMembers(event) };
    }),
  };
}

/** None for what JSON cannot hold: the writer then refuses that append alone, as any store. */
function canonicalMembers(event: Omit<EventToAppend, 'data'>): { canonical?: CanonicalEvent } {
  try {
    return { canonical: canonicalEvent(event) };
  } catch {
    return {};
  }
}

export type ToWriter = { type: 'commit'; batch: readonly WireAppend[] } | { type: 'close' };

export type FromWriter =
  | { type: 'committed'; outcomes: WireOutcome[] }
  /** The transaction itself failed (disk, lock timeout): nothing of the batch was written. */
  | { type: 'failed'; error: WireError };

export type WireOutcome =
  | { ok: true; result: AppendResult; written: number }
  | { ok: false; error: WireError };

export type WireError =
  | { kind: 'revision-conflict'; stream: string; expected: ExpectedRevision; actual: number }
  | { kind: 'event-id-conflict'; eventId: string; detail: string }
  | { kind: 'type'; message: string }
  | { kind: 'other'; name: string; message: string; code?: string };

export function toWireOutcome(outcome: Outcome): WireOutcome {
  return outcome.ok ? outcome : { ok: false, error: toWireError(outcome.error) };
}

export function fromWireOutcome(outcome: WireOutcome): Outcome {
  return outcome.ok ? outcome : { ok: false, error: fromWireError(outcome.error) };
}

export function toWireError(error: unknown): WireError {
  if (error instanceof StreamRevisionConflictError) {
    const { stream, expected, actual } = error;
    return { kind: 'revision-conflict', stream, expected, actual };
  }
  if (error instanceof EventIdConflictError) {
    return { kind: 'event-id-conflict', eventId: error.eventId, detail: error.detail };
  }
  if (error instanceof TypeError) return { kind: 'type', message: error.message };
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return {
      kind: 'other',
      name: error.name,
      message: error.message,
      ...(typeof code === 'string' ? { code } : {}),
    };
  }
  return { kind: 'other', name: 'Error', message: String(error) };
}

export function fromWireError(error: WireError): Error {
  switch (error.kind) {
    case 'revision-conflict':
      return new StreamRevisionConflictError(error.stream, error.expected, error.actual);
    case 'event-id-conflict':
      return new EventIdConflictError(error.eventId, error.detail);
    case 'type':
      return new TypeError(error.message);
    case 'other':
      // SQLite's own errors (SqliteError: SQLITE_BUSY, SQLITE_FULL, ...) keep name and code.
      return Object.assign(new Error(error.message), {
        name: error.name,
        ...(error.code === undefined ? {} : { code: error.code }),
      });
  }
}
