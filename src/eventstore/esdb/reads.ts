/** Reading ledger events from streams and from $all. */
import {
  type AllStreamResolvedEvent,
  BACKWARDS,
  END,
  type Position,
  type ReadPosition,
  StreamDeletedError as ServerStreamDeletedError,
  START,
  type StreamingRead,
  StreamNotFoundError,
  UnknownError,
} from '@eventstore/db-client';
import { DeletedStreamError } from '../errors.ts';
import type { RecordedEvent } from '../port.ts';
import type { EsdbClient } from './client.ts';
import { asLedgerEvent, isSystemEvent, toLedgerPosition, toRecordedEvent } from './mapping.ts';
import { esdbMetrics } from './metrics.ts';

/** A ledger event read from $all, with the server's own position to resume after. */
export interface Located {
  event: RecordedEvent;
  at: Position;
}

export interface Scan {
  located: Located[];
  /** The last record read, system ones included: a valid place to subscribe after. */
  lastSeen: Position | undefined;
}

/** The stream's ledger events from `fromRevision`; [] for no stream. */
export async function readStreamFrom(
  client: EsdbClient,
  stream: string,
  fromRevision: bigint | typeof START,
  maxCount = Number.MAX_SAFE_INTEGER,
): Promise<RecordedEvent[]> {
  const events: RecordedEvent[] = [];
  try {
    for await (const { event } of client.readStream(stream, { fromRevision, maxCount })) {
      if (event !== undefined) events.push(toRecordedEvent(event));
    }
  } catch (error) {
    if (error instanceof StreamNotFoundError) return [];
    if (error instanceof ServerStreamDeletedError)
      throw new DeletedStreamError(stream, 'tombstoned');
    throw error;
  }
  return events;
}

/**
 * The server's refusal of a $all read from a position that is not a record boundary
 * (RpcExceptions.InvalidPositionException, InvalidArgument "Trying to read from an invalid
 * position."): client 6 has no case for INVALID_ARGUMENT without an exception key, so it
 * arrives as an UnknownError carrying the server's text.
 */
export function isInvalidPosition(error: unknown): boolean {
  return error instanceof UnknownError && /invalid position/i.test(error.message);
}

/**
 * Ledger events from position `from` (inclusive). The server starts $all reads only on the
 * exact position of a record and refuses any other. Callers hold event positions or one past
 * them (`last.position + 1`), so those two are tried before a scan from the start; any other
 * failure (unavailable, deadline) is the caller's, never a reason to scan.
 */
export async function scanAll(client: EsdbClient, from: number, limit: number): Promise<Scan> {
  if (limit <= 0) return { located: [], lastSeen: undefined };
  // Every event lies past the log's first record, so 1 means "from the start".
  if (from > 1) {
    for (const candidate of [from, from - 1]) {
      const at = { commit: BigInt(candidate), prepare: BigInt(candidate) };
      try {
        const scan = await collect(client, at, from, limit, candidate);
        if (scan !== undefined) return scan;
      } catch (error) {
        if (!isInvalidPosition(error)) throw error;
      }
    }
  }
  return (await collect(client, START, from, limit)) ?? { located: [], lastSeen: undefined };
}

/**
 * Reads $all forwards from `start`, keeping ledger events at or past `from`. With `anchor`, the
 * read must begin with a record at exactly that position, else this returns undefined.
 */
async function collect(
  client: EsdbClient,
  start: ReadPosition,
  from: number,
  limit: number,
  anchor?: number,
): Promise<Scan | undefined> {
  const located: Located[] = [];
  let lastSeen: Position | undefined;
  const read: StreamingRead<AllStreamResolvedEvent> = client.readAll({ fromPosition: start });
  try {
    for await (const { event } of read) {
      if (event === undefined) continue;
      if (
        lastSeen === undefined &&
        anchor !== undefined &&
        event.position.commit !== BigInt(anchor)
      ) {
        return undefined;
      }
      lastSeen = event.position;
      if (isSystemEvent(event)) continue;
      const recorded = ledgerEventOf(event);
      if (recorded === undefined || recorded.position < from) continue;
      located.push({ event: recorded, at: event.position });
      if (located.length >= limit) break;
    }
  } finally {
    await read.cancel();
  }
  if (lastSeen === undefined && anchor !== undefined) {
    // Nothing at or after `anchor`: right past the end of the log, a misread inside it.
    const head = await rawHead(client);
    if (head !== undefined && head.commit >= BigInt(anchor)) return undefined;
  }
  return { located, lastSeen };
}

/** A ledger event of $all, or undefined (counted) for one the ledger did not write. */
export function ledgerEventOf(
  event: NonNullable<AllStreamResolvedEvent['event']>,
): RecordedEvent | undefined {
  const recorded = asLedgerEvent(event);
  if (recorded === undefined) esdbMetrics.foreignEvents.inc();
  return recorded;
}

/** Position of the last record of $all, system events included. */
export async function rawHead(client: EsdbClient): Promise<Position | undefined> {
  const read = client.readAll({ direction: BACKWARDS, fromPosition: END, maxCount: 1 });
  try {
    for await (const { event } of read) {
      if (event !== undefined) return event.position;
    }
    return undefined;
  } finally {
    await read.cancel();
  }
}

/** Position of the last ledger event of $all, 0 when there is none. */
export async function headPosition(client: EsdbClient): Promise<number> {
  const read = client.readAll({ direction: BACKWARDS, fromPosition: END });
  try {
    for await (const { event } of read) {
      if (event === undefined || isSystemEvent(event)) continue;
      if (asLedgerEvent(event) !== undefined) return toLedgerPosition(event.position);
    }
    return 0;
  } finally {
    await read.cancel();
  }
}

/**
 * Where a subscription from `from` (inclusive, > 1) begins: the first ledger event at or past
 * it, to deliver and subscribe after; or else a record no later than anything still to come.
 */
export async function subscriptionStart(
  client: EsdbClient,
  from: number,
): Promise<{ first?: Located; after: ReadPosition }> {
  // Read before the scan: whatever commits from now on lies past it.
  const head = await rawHead(client);
  const { located, lastSeen } = await scanAll(client, from, 1);
  const first = located[0];
  if (first !== undefined) return { first, after: first.at };
  return { after: lastSeen ?? head ?? START };
}
