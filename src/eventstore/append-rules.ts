/**
 * The append rules every adapter applies the same way: input validation, retried appends
 * (idempotency), expected-revision checks and the commit instant.
 */
import { canonicalJson } from '../core/canonical-json.ts';
import { sameContent } from '../core/event-hash.ts';
import { EventIdConflictError, StreamRevisionConflictError } from './errors.ts';
import type {
  AppendOptions,
  AppendResult,
  EventToAppend,
  ExpectedRevision,
  ReadAllOptions,
  RecordedEvent,
} from './port.ts';

/** Refuses a malformed append (TypeError) or one naming the same event id twice. */
export function assertAppendable(
  stream: string,
  events: readonly EventToAppend[],
  options: AppendOptions,
): void {
  if (typeof stream !== 'string' || stream.length === 0) {
    throw new TypeError('append: stream must be a non-empty string');
  }
  if (!Array.isArray(events) || events.length === 0) {
    throw new TypeError(`append to ${stream}: at least one event is required`);
  }
  assertExpectedRevision(stream, options?.expectedRevision);
  const seen = new Set<string>();
  for (const event of events) {
    assertEventShape(stream, event);
    if (seen.has(event.eventId)) {
      throw new EventIdConflictError(event.eventId, `appears twice in one append to ${stream}`);
    }
    seen.add(event.eventId);
  }
}

function assertExpectedRevision(stream: string, expected: unknown): void {
  const valid =
    expected === 'no-stream' ||
    expected === 'stream-exists' ||
    expected === 'any' ||
    (Number.isSafeInteger(expected) && (expected as number) >= 0);
  if (!valid) {
    throw new TypeError(
      `append to ${stream}: expectedRevision must be 'no-stream', 'stream-exists', 'any' or a revision >= 0, got ${String(expected)}`,
    );
  }
}

function assertEventShape(stream: string, event: EventToAppend): void {
  const fail = (what: string) => new TypeError(`append to ${stream}: ${what}`);
  if (typeof event !== 'object' || event === null) throw fail('each event must be an object');
  if (typeof event.eventId !== 'string' || event.eventId.length === 0) {
    throw fail('eventId must be a non-empty string');
  }
  if (typeof event.type !== 'string' || event.type.length === 0) {
    throw fail(`event ${event.eventId}: type must be a non-empty string`);
  }
  const metadata = event.metadata;
  if (typeof metadata !== 'object' || metadata === null) {
    throw fail(`event ${event.eventId}: metadata is required`);
  }
  if (
    typeof metadata.recordedBy !== 'string' ||
    typeof metadata.correlationId !== 'string' ||
    (metadata.causationId !== null && typeof metadata.causationId !== 'string') ||
    (metadata.idempotencyKey !== undefined && typeof metadata.idempotencyKey !== 'string') ||
    (metadata.keyId !== undefined && typeof metadata.keyId !== 'string') ||
    !Number.isSafeInteger(metadata.schemaVersion)
  ) {
    throw fail(
      `event ${event.eventId}: metadata needs recordedBy, correlationId, causationId (string or null), an integer schemaVersion and optional strings idempotencyKey and keyId`,
    );
  }
}

/**
 * The canonical JSON text an event's data is stored and hashed as; readers see what it parses
 * back to. A TypeError naming the event for data JSON cannot hold.
 */
export function storedData(stream: string, event: EventToAppend): string {
  return snapshotEvent(stream, event).dataJson;
}

/** An event as it was when appended, so later changes to the caller's objects cannot leak in. */
export interface EventSnapshot {
  /** Its data is the value `dataJson` parses to. */
  event: EventToAppend;
  /** The canonical JSON text of the data, stored and hashed as is. */
  dataJson: string;
}

export function snapshotEvent(stream: string, event: EventToAppend): EventSnapshot {
  let dataJson: string;
  let data: unknown;
  try {
    dataJson = canonicalJson(event.data);
    // Parsing also refuses what the canonicalizer lets through unparseable: function members.
    data = JSON.parse(dataJson);
  } catch (error) {
    throw new TypeError(`append to ${stream}: event ${event.eventId}: data is not JSON`, {
      cause: error,
    });
  }
  const { eventId, type, metadata } = event;
  return { event: { eventId, type, data, metadata: { ...metadata } }, dataJson };
}

/**
 * Recognises a retry of an append that already committed (its response may have been lost):
 * when every event id is already stored at the place this append would have put it, with the
 * same content, returns the original result so the caller writes nothing. Runs before the
 * expected-revision check, since the stream may have moved on since. Returns undefined when no
 * id is stored; throws EventIdConflictError for any other overlap.
 */
export function retriedAppendResult(
  stream: string,
  events: readonly EventToAppend[],
  expected: ExpectedRevision,
  stored: readonly (RecordedEvent | undefined)[],
): AppendResult | undefined {
  const found = stored.filter((event) => event !== undefined);
  if (found.length === 0) return undefined;
  const first = found[0] as RecordedEvent;
  const conflict = (event: RecordedEvent, detail: string) =>
    new EventIdConflictError(
      event.eventId,
      `already stored in stream ${event.stream} at revision ${event.revision}; ${detail}`,
    );
  if (found.length < events.length) {
    throw conflict(first, 'a retry must repeat the original append exactly, not mix in new events');
  }
  found.forEach((event, index) => {
    if (event.stream !== stream) throw conflict(event, `this append is to stream ${stream}`);
    if (event.revision !== first.revision + index) {
      throw conflict(event, 'this append lists it in another order');
    }
    if (!sameContent(event, events[index] as EventToAppend)) {
      throw conflict(event, 'this append carries other content under the same id');
    }
  });
  const intended = intendedFirstRevision(expected);
  if (intended !== undefined && intended !== first.revision) {
    throw conflict(first, `this append would write revision ${intended}`);
  }
  return appendResult(stream, found);
}

/** The revision an append would start at, when its expectation fixes it. */
function intendedFirstRevision(expected: ExpectedRevision): number | undefined {
  if (expected === 'no-stream') return 0;
  return typeof expected === 'number' ? expected + 1 : undefined;
}

/** Throws StreamRevisionConflictError unless `actual` (-1: no stream) satisfies `expected`. */
export function checkExpectedRevision(
  stream: string,
  expected: ExpectedRevision,
  actual: number,
): void {
  const satisfied =
    expected === 'any' ||
    (expected === 'no-stream' && actual < 0) ||
    (expected === 'stream-exists' && actual >= 0) ||
    expected === actual;
  if (!satisfied) throw new StreamRevisionConflictError(stream, expected, actual);
}

export function appendResult(
  stream: string,
  recorded: readonly Pick<RecordedEvent, 'eventId' | 'revision' | 'position'>[],
): AppendResult {
  const last = recorded.at(-1) as Pick<RecordedEvent, 'revision' | 'position'>;
  return {
    stream,
    nextExpectedRevision: last.revision,
    position: last.position,
    events: recorded.map(({ eventId, revision, position }) => ({ eventId, revision, position })),
  };
}

/** The instant a commit is stamped with: now, but never before the previous commit. */
export function commitInstant(previous: string | undefined, now: number = Date.now()): string {
  const previousMs = previous === undefined ? Number.NEGATIVE_INFINITY : Date.parse(previous);
  return new Date(Math.max(now, previousMs)).toISOString();
}

/** Validated readAll bounds: the first position to read (>= 1) and how many at most. */
export function readAllRange(options: ReadAllOptions = {}): { from: number; limit: number } {
  const { fromPosition = 1, limit = Number.POSITIVE_INFINITY } = options;
  if (!Number.isSafeInteger(fromPosition)) {
    throw new TypeError(`readAll: fromPosition must be an integer, got ${fromPosition}`);
  }
  if (limit !== Number.POSITIVE_INFINITY && !(Number.isSafeInteger(limit) && limit >= 0)) {
    throw new TypeError(`readAll: limit must be a non-negative integer, got ${limit}`);
  }
  return { from: Math.max(1, fromPosition), limit };
}

export function closedStoreError(): Error {
  return new Error('the event store is closed');
}
