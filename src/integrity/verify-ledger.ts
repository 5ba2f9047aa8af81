/**
 * The ledger's chain checks (docs/design.md, "Integrity"): every event's hash, each stream's
 * revisions and prevHash chain, and, where the store advertises them, dense positions and
 * record times in commit order.
 */
import type { RecordedEvent } from '../core/envelope.ts';
import { GENESIS_HASH } from '../core/event-hash.ts';
import type { EventStore, StoreCapabilities } from '../eventstore/port.ts';
import { recordedHash } from './recorded-hash.ts';

export type IntegrityProblemKind =
  /** The row lacks a field the envelope requires, or a field has the wrong type. */
  | 'malformed'
  /** The global position does not increase. */
  | 'position-order'
  /** A position is skipped in a store that numbers positions 1, 2, 3, ... (`densePositions`). */
  | 'position-gap'
  /** The recomputed hash differs from the stored one: the event was edited. */
  | 'hash-mismatch'
  /** The stream skips a revision (an event was dropped) or does not start at 0. */
  | 'revision-gap'
  /** The stream repeats or goes back to an earlier revision. */
  | 'revision-repeat'
  /** `prevHash` is not the hash of the stream's previous event: something was inserted or replaced. */
  | 'broken-chain'
  /** `recordedAt` decreases along the global order (`monotonicRecordedAt`). */
  | 'recorded-at-order'
  /** verifyStream was given an event of another stream. */
  | 'foreign-stream';

export interface IntegrityProblem {
  position: number;
  stream: string;
  eventId?: string;
  revision?: number;
  kind: IntegrityProblemKind;
  message: string;
}

export type LedgerReport =
  | { ok: true; events: number; streams: number }
  /** `events` counts the events checked and found sound before the first problem. */
  | { ok: false; events: number; problem: IntegrityProblem };

export interface VerifyOptions {
  /**
   * The store numbers positions 1, 2, 3, ... without holes (memory, sqlite), so a hole means a
   * dropped event. This also catches a dropped last event of a stream, which no chain can show.
   */
  densePositions?: boolean;
  /** The store stamps `recordedAt` in commit order (memory, sqlite), so it never decreases. */
  monotonicRecordedAt?: boolean;
}

/** Every check a store's capabilities allow: positions 1, 2, 3, ... also stamp commit order. */
export function verifyOptionsFor(capabilities: StoreCapabilities): VerifyOptions {
  return {
    densePositions: capabilities.densePositions,
    monotonicRecordedAt: capabilities.densePositions,
  };
}

/**
 * Checks the whole ledger in global order and names the first bad event: each event's hash,
 * each stream's revisions 0, 1, 2, ... and prevHash chain, and strictly increasing positions.
 * Memory stays bounded by the number of streams.
 *
 * What a chain cannot show: an event dropped from the end of its stream (nothing follows it to
 * break), nor an event appended with a correctly forged hash. `densePositions` catches the former
 * except at the very end of the ledger; the Merkle log and signed checkpoints (docs/design.md §7)
 * cover both.
 */
export async function verifyLedger(
  events: AsyncIterable<RecordedEvent> | Iterable<RecordedEvent>,
  options: VerifyOptions = {},
): Promise<LedgerReport> {
  return verify(events, options);
}

/** Checks one stream as read by `readStream`: hashes, revisions from 0 and the prevHash chain. */
export async function verifyStream(
  events: AsyncIterable<RecordedEvent> | Iterable<RecordedEvent>,
): Promise<LedgerReport> {
  return verify(events, { singleStream: true });
}

/** Every event of the store in global order, a page at a time, for verifyLedger. */
export async function* readLedger(
  store: Pick<EventStore, 'readAll'>,
  pageSize = 1000,
): AsyncGenerator<RecordedEvent> {
  for await (const page of ledgerPages(store, 1, pageSize)) yield* page;
}

/** The store's events from `fromPosition` on in global order, as the pages it reads. */
export async function* ledgerPages(
  store: Pick<EventStore, 'readAll'>,
  fromPosition = 1,
  pageSize = 1000,
): AsyncGenerator<readonly RecordedEvent[]> {
  for (let from = fromPosition; ; ) {
    const page = await store.readAll({ fromPosition: from, limit: pageSize });
    if (page.length > 0) yield page;
    const last = page.at(-1);
    if (last === undefined || page.length < pageSize) return;
    from = last.position + 1;
    // A turn of the event loop between pages: a SQLite page is read synchronously, and without it
    // a SIGTERM or Ctrl-C to `replay` over 100,000 events was handled only at the end.
    await new Promise((resolve) => setImmediate(resolve));
  }
}

interface StreamHead {
  revision: number;
  hash: string;
}

async function verify(
  events: AsyncIterable<RecordedEvent> | Iterable<RecordedEvent>,
  options: VerifyOptions & { singleStream?: boolean },
): Promise<LedgerReport> {
  const heads = new Map<string, StreamHead>();
  let previous: RecordedEvent | undefined;
  let checked = 0;
  for await (const event of events) {
    const found = findProblem(event, previous, heads, options);
    if (found !== undefined)
      return { ok: false, events: checked, problem: problemAt(event, found) };
    // Updated in place: one object per stream, not one per event.
    const head = heads.get(event.stream);
    if (head === undefined)
      heads.set(event.stream, { revision: event.revision, hash: event.metadata.hash });
    else {
      head.revision = event.revision;
      head.hash = event.metadata.hash;
    }
    previous = event;
    checked++;
  }
  return { ok: true, events: checked, streams: heads.size };
}

type Found = [kind: IntegrityProblemKind, message: string];

function problemAt(event: RecordedEvent, [kind, message]: Found): IntegrityProblem {
  const where = {
    position: event?.position,
    stream: event?.stream,
    eventId: event?.eventId,
    revision: event?.revision,
  };
  return {
    ...where,
    kind,
    message: `position ${where.position}, stream ${where.stream}: ${message}`,
  };
}

/** The first problem of `event`, if any; its words are built only when there is one. */
function findProblem(
  event: RecordedEvent,
  previous: RecordedEvent | undefined,
  heads: ReadonlyMap<string, StreamHead>,
  options: VerifyOptions & { singleStream?: boolean },
): Found | undefined {
  const shapeError = malformation(event);
  if (shapeError !== undefined) return ['malformed', shapeError];

  if (options.singleStream && previous !== undefined && event.stream !== previous.stream) {
    return ['foreign-stream', `expected only events of stream ${previous.stream}`];
  }
  if (previous !== undefined && event.position <= previous.position) {
    return ['position-order', `follows position ${previous.position}`];
  }
  const expectedPosition = (previous?.position ?? 0) + 1;
  if (options.densePositions && event.position !== expectedPosition) {
    const missing =
      event.position - 1 === expectedPosition
        ? `position ${expectedPosition} is`
        : `positions ${expectedPosition}..${event.position - 1} are`;
    return ['position-gap', `${missing} missing`];
  }
  if (recordedHash(event) !== event.metadata.hash) {
    return ['hash-mismatch', 'the content does not match its hash'];
  }
  const head = heads.get(event.stream);
  const expectedRevision = (head?.revision ?? -1) + 1;
  if (event.revision > expectedRevision) {
    return ['revision-gap', `expected revision ${expectedRevision}, found ${event.revision}`];
  }
  if (event.revision < expectedRevision) {
    return ['revision-repeat', `expected revision ${expectedRevision}, found ${event.revision}`];
  }
  if (event.metadata.prevHash !== (head?.hash ?? GENESIS_HASH)) {
    return ['broken-chain', 'prevHash is not the hash of the previous event of its stream'];
  }
  if (
    options.monotonicRecordedAt &&
    previous !== undefined &&
    event.metadata.recordedAt < previous.metadata.recordedAt
  ) {
    return [
      'recorded-at-order',
      `recordedAt ${event.metadata.recordedAt} is before ${previous.metadata.recordedAt} at position ${previous.position}`,
    ];
  }
  return undefined;
}

function malformation(event: RecordedEvent): string | undefined {
  if (typeof event !== 'object' || event === null) return 'not an event';
  if (!Number.isSafeInteger(event.position)) return 'position is not an integer';
  if (typeof event.stream !== 'string') return 'stream is not a string';
  if (!Number.isSafeInteger(event.revision) || event.revision < 0) {
    return 'revision is not a non-negative integer';
  }
  if (typeof event.eventId !== 'string') return 'eventId is not a string';
  if (typeof event.type !== 'string') return 'type is not a string';
  const metadata = event.metadata;
  if (typeof metadata !== 'object' || metadata === null) return 'metadata is missing';
  for (const field of ['hash', 'prevHash', 'recordedAt'] as const) {
    if (typeof metadata[field] !== 'string') return `metadata.${field} is not a string`;
  }
  return undefined;
}
