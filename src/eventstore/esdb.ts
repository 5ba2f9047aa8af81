/**
 * The EventStore port on KurrentDB / EventStoreDB (gRPC, `@eventstore/db-client` 6; servers
 * 22.6 and later, since older ones do not report the $all position of events read from a stream).
 *
 * How the port maps onto the server:
 * - Our eventId is the server's event id; our envelope metadata is the event's JSON metadata.
 * - `position` is the event's commit position in the transaction log. gRPC appends are implicit
 *   transactions, for which the server gives every event its own log position as both commit and
 *   prepare position, so the events of one append get distinct, increasing positions. Positions
 *   are byte offsets: strictly increasing, not dense (no 1, 2, 3, ...).
 * - Appends read the stream, seal on its last event (prevHash, revision) and append with that
 *   exact revision, so the hash chain cannot fork even when the caller said `any` or
 *   `stream-exists` (those re-read and re-seal a few times when another writer got in first).
 * - A retried append is recognised in its stream; an id used in another stream is caught by a
 *   reservation per event id (see RESERVATION_TYPE), since the server indexes no event ids.
 * - recordedAt is stamped before the append, so the appends of one process take turns to stamp
 *   and commit, which keeps recordedAt in commit order. Several ledger processes writing to one
 *   database may interleave their stamps.
 * - System events (stream or type starting with `$`) never leave this adapter.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type AllStreamResolvedEvent,
  type AppendExpectedRevision,
  BACKWARDS,
  END,
  ErrorType,
  type RecordedEvent as EsdbRecordedEvent,
  type EventData,
  EventStoreDBClient,
  excludeSystemEvents,
  isCommandError,
  type JSONType,
  jsonEvent,
  NO_STREAM,
  type Position,
  type ReadPosition,
  START,
  type StreamingRead,
  StreamNotFoundError,
  WrongExpectedVersionError,
} from '@eventstore/db-client';
import { GENESIS_HASH, sealEvent } from '../core/event-hash.ts';
import {
  appendResult,
  assertAppendable,
  checkExpectedRevision,
  closedStoreError,
  commitInstant,
  readAllRange,
  retriedAppendResult,
  storedData,
} from './append-rules.ts';
import { EventIdConflictError, StreamRevisionConflictError } from './errors.ts';
import type {
  AppendOptions,
  AppendResult,
  EventStore,
  EventToAppend,
  ExpectedRevision,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  RecordedMetadata,
  SubscribeOptions,
  Subscription,
} from './port.ts';

/** The client operations this adapter uses; tests pass a fake server through it. */
export type EsdbClient = Pick<
  EventStoreDBClient,
  'appendToStream' | 'readStream' | 'readAll' | 'subscribeToAll' | 'dispose'
>;

export interface EsdbStoreOptions {
  /** Read-seal-append attempts for `any` / `stream-exists` when another writer got in first. */
  appendAttempts: number;
  /** After a transient failure, resubscribe up to `attempts` times, the delay doubling from `baseDelayMs` to `maxDelayMs`. */
  resubscribe: { attempts: number; baseDelayMs: number; maxDelayMs: number };
}

const DEFAULT_OPTIONS: EsdbStoreOptions = {
  appendAttempts: 5,
  // About a minute of outage before the subscriber sees the error.
  resubscribe: { attempts: 15, baseDelayMs: 100, maxDelayMs: 5_000 },
};

/** Opens a store on `esdb://...` (client 6 knows only that scheme, e.g. `esdb://host:2113?tls=false`). */
export async function openEsdbEventStore(connectionString: string): Promise<EventStore> {
  return createEsdbEventStore(EventStoreDBClient.connectionString(connectionString));
}

export function createEsdbEventStore(
  client: EsdbClient,
  options: Partial<EsdbStoreOptions> = {},
): EventStore {
  return new EsdbEventStore(client, { ...DEFAULT_OPTIONS, ...options });
}

// ---------------------------------------------------------------------------------------------
// Mapping between the port and the server's vocabulary.

/** Events of the server itself ($stats, $settings, stream metadata, ...), never ledger events. */
export function isSystemEvent(event: { streamId: string; type: string }): boolean {
  return event.streamId.startsWith('$') || event.type.startsWith('$');
}

/** The exact revision to append at, given the stream's last revision as read (-1: none). */
export function exactExpectedRevision(actual: number): AppendExpectedRevision {
  return actual < 0 ? NO_STREAM : BigInt(actual);
}

/** The server's conflict in the port's terms; `actual` is the stream's last revision, -1 for none. */
export function toConflictError(
  stream: string,
  expected: ExpectedRevision,
  error: WrongExpectedVersionError,
): StreamRevisionConflictError {
  const actual = error.actualVersion === NO_STREAM ? -1 : Number(error.actualVersion);
  return new StreamRevisionConflictError(stream, expected, actual);
}

/** The $all position of an event as the port's number. */
export function toLedgerPosition(position: Position | undefined): number {
  // Servers before 22.6 leave it out of stream reads, or send 2^64 - 1.
  if (position === undefined || position.commit > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new Error('the server reports no event position: it must be EventStoreDB 22.6 or later');
  }
  return Number(position.commit);
}

export function toRecordedEvent(event: EsdbRecordedEvent): RecordedEvent {
  const metadata = event.metadata;
  if (
    !event.isJson ||
    typeof metadata !== 'object' ||
    metadata === null ||
    metadata instanceof Uint8Array ||
    Array.isArray(metadata) ||
    typeof metadata.hash !== 'string'
  ) {
    throw new Error(
      `event ${event.id} at revision ${event.revision} of ${event.streamId} was not written by the ledger`,
    );
  }
  return {
    eventId: event.id,
    stream: event.streamId,
    revision: Number(event.revision),
    position: toLedgerPosition(event.position),
    type: event.type,
    data: event.data,
    // Written from a RecordedMetadata by toEventData; a stray writer is caught by the hash check.
    metadata: metadata as unknown as RecordedMetadata,
  };
}

export function toEventData(sealed: Omit<RecordedEvent, 'position'>): EventData {
  return jsonEvent({
    id: sealed.eventId,
    type: sealed.type,
    // Parsed back from storedData's JSON; the client's JSONType is only narrower in its typing.
    data: sealed.data as JSONType,
    metadata: { ...sealed.metadata },
  });
}

/** Failures after which a subscription is worth resuming: the server or the network hiccuped. */
export function isTransientFailure(error: unknown): boolean {
  if (error instanceof Error && isCommandError(error)) return TRANSIENT.has(error.type);
  // The stream under the subscription closed without a gRPC status (connection reset).
  return (error as NodeJS.ErrnoException | undefined)?.code === 'ERR_STREAM_PREMATURE_CLOSE';
}

const TRANSIENT = new Set<ErrorType>([
  ErrorType.UNAVAILABLE,
  ErrorType.DEADLINE_EXCEEDED,
  ErrorType.TIMEOUT,
  ErrorType.NOT_LEADER,
  // Cancelled by the server (our own cancel never surfaces: the client swallows it).
  ErrorType.CANCELLED,
]);

export function backoffDelay(attempt: number, baseDelayMs: number, maxDelayMs: number): number {
  return Math.min(maxDelayMs, baseDelayMs * 2 ** attempt);
}

// ---------------------------------------------------------------------------------------------

/**
 * The server indexes no event ids, so each append first reserves its ids, one stream per id
 * written with "no stream" expected: the server lets exactly one reservation of an id win. The
 * reservation names the stream; another stream's append of that id is then refused. A `$`-type
 * keeps reservations out of every ledger read. An append that loses its revision race after
 * reserving leaves its reservations behind: they still let that stream, and only it, use the ids.
 */
export const RESERVATION_TYPE = '$ledger-event-id-reserved';

export function reservationStream(eventId: string): string {
  return `ledger-event-id-${eventId}`;
}

/** A ledger event read from $all, with the server's own position to resume after. */
interface Located {
  event: RecordedEvent;
  at: Position;
}

interface Scan {
  located: Located[];
  /** The last record read, system ones included: a valid place to subscribe after. */
  lastSeen: Position | undefined;
}

class EsdbEventStore implements EventStore {
  // Positions are commit offsets; the ledger cannot choose them, so it cannot import either.
  readonly capabilities = { densePositions: false, importRecorded: false } as const;
  readonly #client: EsdbClient;
  readonly #options: EsdbStoreOptions;
  readonly #subscriptions = new Set<EsdbSubscription>();
  /** Appends of this process take turns to stamp and commit, so recordedAt follows commit order. */
  #commitTurn: Promise<unknown> = Promise.resolve();
  #lastRecordedAt: string | undefined;
  #closed = false;

  constructor(client: EsdbClient, options: EsdbStoreOptions) {
    this.#client = client;
    this.#options = options;
  }

  async append(
    stream: string,
    events: EventToAppend[],
    options: AppendOptions,
  ): Promise<AppendResult> {
    this.#assertOpen();
    assertAppendable(stream, events, options);
    const { expectedRevision } = options;
    // The data as it will read back, and its canonical JSON; refused before anything is written.
    const stored = events.map((event) => {
      const dataJson = storedData(stream, event);
      return { event: { ...event, data: JSON.parse(dataJson) as unknown }, dataJson };
    });
    const retries = expectedRevision === 'any' || expectedRevision === 'stream-exists';
    let reserved = false;
    for (let attempt = 1; ; attempt++) {
      const history = await this.readStream(stream);
      const retried = this.#retried(stream, events, expectedRevision, history);
      if (retried !== undefined) return retried;

      const head = history.at(-1);
      const actual = head?.revision ?? -1;
      checkExpectedRevision(stream, expectedRevision, actual);
      if (!reserved) {
        await this.#reserve(stream, events);
        reserved = true;
      }

      try {
        await this.#commit(stream, stored, head);
      } catch (error) {
        if (!(error instanceof WrongExpectedVersionError)) throw error;
        // Another writer got in between our read and our append. `any` / `stream-exists`
        // re-read and re-seal on the new head; the next pass also spots a replay.
        if (retries && attempt < this.#options.appendAttempts) continue;
        // The winner may have been this very batch, sent by a retry racing its original.
        const again = this.#retried(
          stream,
          events,
          expectedRevision,
          await this.readStream(stream),
        );
        if (again !== undefined) return again;
        throw toConflictError(stream, expectedRevision, error);
      }
      return appendResult(stream, await this.#readBack(stream, actual + 1, events.length));
    }
  }

  async readStream(stream: string, options?: ReadStreamOptions): Promise<RecordedEvent[]> {
    this.#assertOpen();
    const from = options?.fromRevision ? BigInt(options.fromRevision) : START;
    return this.#readStreamFrom(stream, from, Number.MAX_SAFE_INTEGER);
  }

  async readAll(options?: ReadAllOptions): Promise<RecordedEvent[]> {
    this.#assertOpen();
    const { from, limit } = readAllRange(options);
    return (await this.#scanAll(from, limit)).located.map(({ event }) => event);
  }

  subscribe(options: SubscribeOptions = {}): Subscription {
    const subscription = new EsdbSubscription(this.#client, this.#options.resubscribe, {
      fromPosition: Math.max(1, options.fromPosition ?? 1),
      start: (from) => this.#subscriptionStart(from),
      closed: (s) => this.#subscriptions.delete(s),
    });
    // Like the other stores, a closed store's subscription ends at once.
    if (this.#closed) void subscription.close();
    else this.#subscriptions.add(subscription);
    return subscription;
  }

  async headPosition(): Promise<number> {
    this.#assertOpen();
    const read = this.#client.readAll({ direction: BACKWARDS, fromPosition: END });
    try {
      for await (const { event } of read) {
        if (event !== undefined && !isSystemEvent(event)) return toLedgerPosition(event.position);
      }
      return 0;
    } finally {
      await read.cancel();
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all([...this.#subscriptions].map((s) => s.close()));
    await this.#client.dispose();
  }

  #assertOpen(): void {
    if (this.#closed) throw closedStoreError();
  }

  #retried(
    stream: string,
    events: readonly EventToAppend[],
    expected: ExpectedRevision,
    history: readonly RecordedEvent[],
  ): AppendResult | undefined {
    const byId = new Map(history.map((event) => [event.eventId, event]));
    return retriedAppendResult(
      stream,
      events,
      expected,
      events.map((event) => byId.get(event.eventId)),
    );
  }

  async #reserve(stream: string, events: readonly EventToAppend[]): Promise<void> {
    await Promise.all(
      events.map(async ({ eventId }) => {
        const reservation = reservationStream(eventId);
        try {
          await this.#client.appendToStream(
            reservation,
            jsonEvent({ type: RESERVATION_TYPE, data: { stream } }),
            { expectedRevision: NO_STREAM },
          );
        } catch (error) {
          if (!(error instanceof WrongExpectedVersionError)) throw error;
          const owner = await this.#reservationOwner(reservation);
          if (owner !== stream) {
            throw new EventIdConflictError(
              eventId,
              `already stored in stream ${owner}; this append is to stream ${stream}`,
            );
          }
        }
      }),
    );
  }

  async #reservationOwner(reservation: string): Promise<string | undefined> {
    for await (const { event } of this.#client.readStream(reservation, { maxCount: 1 })) {
      const data = event?.data as { stream?: unknown } | undefined;
      if (typeof data?.stream === 'string') return data.stream;
    }
    return undefined;
  }

  /** Stamps, seals on `head` and appends at exactly its revision, in this process's commit turn. */
  async #commit(
    stream: string,
    events: readonly { event: EventToAppend; dataJson: string }[],
    head: RecordedEvent | undefined,
  ): Promise<void> {
    const turn = this.#commitTurn.then(async () => {
      const last = this.#lastRecordedAt;
      const headAt = head?.metadata.recordedAt;
      const recordedAt = commitInstant(last === undefined || (headAt ?? '') > last ? headAt : last);
      const actual = head?.revision ?? -1;
      let prevHash = head?.metadata.hash ?? GENESIS_HASH;
      const sealed = events.map(({ event, dataJson }, index) => {
        const s = sealEvent(stream, actual + 1 + index, prevHash, recordedAt, event, dataJson);
        prevHash = s.metadata.hash;
        return s;
      });
      await this.#client.appendToStream(stream, sealed.map(toEventData), {
        expectedRevision: exactExpectedRevision(actual),
      });
      this.#lastRecordedAt = recordedAt;
    });
    this.#commitTurn = turn.catch(() => {});
    await turn;
  }

  async #readStreamFrom(
    stream: string,
    fromRevision: bigint | typeof START,
    maxCount: number,
  ): Promise<RecordedEvent[]> {
    const events: RecordedEvent[] = [];
    try {
      for await (const { event } of this.#client.readStream(stream, { fromRevision, maxCount })) {
        if (event !== undefined) events.push(toRecordedEvent(event));
      }
    } catch (error) {
      if (error instanceof StreamNotFoundError) return [];
      throw error;
    }
    return events;
  }

  /** The events just appended, as stored: the append response carries only one position. */
  async #readBack(stream: string, firstRevision: number, count: number): Promise<RecordedEvent[]> {
    const events = await this.#readStreamFrom(stream, BigInt(firstRevision), count);
    if (events.length !== count) {
      throw new Error(`${stream}: appended ${count} events but read back ${events.length}`);
    }
    return events;
  }

  /**
   * Ledger events from position `from` (inclusive). The server starts $all reads only on the
   * exact position of a record and refuses or misreads any other. Callers hold event positions
   * or one past them (`last.position + 1`), so those two are tried before a scan from the start.
   */
  async #scanAll(from: number, limit: number): Promise<Scan> {
    if (limit <= 0) return { located: [], lastSeen: undefined };
    // Every event lies past the log's first record, so 1 means "from the start".
    if (from > 1) {
      for (const candidate of [from, from - 1]) {
        const at = { commit: BigInt(candidate), prepare: BigInt(candidate) };
        try {
          const scan = await this.#collect(at, from, limit, candidate);
          if (scan !== undefined) return scan;
        } catch {
          // Not a record boundary: the server refuses the read. Try the next candidate.
        }
      }
    }
    return (await this.#collect(START, from, limit)) ?? { located: [], lastSeen: undefined };
  }

  /**
   * Reads $all forwards from `start`, keeping ledger events at or past `from`. With `anchor`, the
   * read must begin with a record at exactly that position, else this returns undefined.
   */
  async #collect(
    start: ReadPosition,
    from: number,
    limit: number,
    anchor?: number,
  ): Promise<Scan | undefined> {
    const located: Located[] = [];
    let lastSeen: Position | undefined;
    const read: StreamingRead<AllStreamResolvedEvent> = this.#client.readAll({
      fromPosition: start,
    });
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
        const recorded = toRecordedEvent(event);
        if (recorded.position < from) continue;
        located.push({ event: recorded, at: event.position });
        if (located.length >= limit) break;
      }
    } finally {
      await read.cancel();
    }
    if (lastSeen === undefined && anchor !== undefined) {
      // Nothing at or after `anchor`: right past the end of the log, a misread inside it.
      const head = await this.#rawHead();
      if (head !== undefined && head.commit >= BigInt(anchor)) return undefined;
    }
    return { located, lastSeen };
  }

  /** Position of the last record of $all, system events included. */
  async #rawHead(): Promise<Position | undefined> {
    const read = this.#client.readAll({ direction: BACKWARDS, fromPosition: END, maxCount: 1 });
    try {
      for await (const { event } of read) {
        if (event !== undefined) return event.position;
      }
      return undefined;
    } finally {
      await read.cancel();
    }
  }

  /**
   * Where a subscription from `from` (inclusive, > 1) begins: the first ledger event at or past
   * it, to deliver and subscribe after; or else a record no later than anything still to come.
   */
  async #subscriptionStart(from: number): Promise<{ first?: Located; after: ReadPosition }> {
    // Read before the scan: whatever commits from now on lies past it.
    const head = await this.#rawHead();
    const { located, lastSeen } = await this.#scanAll(from, 1);
    const first = located[0];
    if (first !== undefined) return { first, after: first.at };
    return { after: lastSeen ?? head ?? START };
  }
}

interface SubscriptionWiring {
  /** Inclusive, >= 1. */
  fromPosition: number;
  start: (from: number) => Promise<{ first?: Located; after: ReadPosition }>;
  closed: (subscription: EsdbSubscription) => void;
}

type AllSubscription = ReturnType<EsdbClient['subscribeToAll']>;

/**
 * Catch-up then live over `subscribeToAll`, resumed after the last delivered event when the
 * server or the network fails transiently. The server subscribes *after* a position, so the
 * first event at or past `fromPosition` is found by a read, delivered, and subscribed after.
 */
class EsdbSubscription implements Subscription {
  readonly #client: EsdbClient;
  readonly #retry: EsdbStoreOptions['resubscribe'];
  readonly #wiring: SubscriptionWiring;
  readonly #stop = new AbortController();
  readonly #events: AsyncGenerator<RecordedEvent>;
  #current: AllSubscription | undefined;

  constructor(
    client: EsdbClient,
    retry: EsdbStoreOptions['resubscribe'],
    wiring: SubscriptionWiring,
  ) {
    this.#client = client;
    this.#retry = retry;
    this.#wiring = wiring;
    this.#events = this.#deliver();
  }

  [Symbol.asyncIterator](): AsyncIterator<RecordedEvent> {
    return this.#events;
  }

  async close(): Promise<void> {
    if (this.#stop.signal.aborted) return;
    this.#stop.abort();
    this.#wiring.closed(this);
    const current = this.#current;
    if (current !== undefined) {
      await cancel(current);
      // Ends an iteration step waiting on it right away.
      current.destroy();
    }
  }

  get #stopped(): boolean {
    return this.#stop.signal.aborted;
  }

  async *#deliver(): AsyncGenerator<RecordedEvent> {
    try {
      yield* this.#follow();
    } finally {
      // Also when the consumer just stops iterating: the store need not close it later.
      this.#wiring.closed(this);
    }
  }

  async *#follow(): AsyncGenerator<RecordedEvent> {
    const from = this.#wiring.fromPosition;
    let cursor: ReadPosition = START;
    /** Position of the last event delivered: a resumed subscription never repeats one. */
    let delivered = 0;
    if (from > 1) {
      const { first, after } = await this.#wiring.start(from);
      if (this.#stopped) return;
      if (first !== undefined) {
        delivered = first.event.position;
        yield first.event;
      }
      cursor = after;
    }

    let failures = 0;
    while (!this.#stopped) {
      const subscription = this.#client.subscribeToAll({
        fromPosition: cursor,
        filter: excludeSystemEvents(),
      });
      this.#current = subscription;
      subscription.once('confirmation', () => {
        failures = 0;
      });
      try {
        for await (const { event } of subscription) {
          if (this.#stopped) return;
          if (event === undefined || isSystemEvent(event)) continue;
          cursor = event.position;
          const recorded = toRecordedEvent(event);
          if (recorded.position < from || recorded.position <= delivered) continue;
          failures = 0;
          delivered = recorded.position;
          yield recorded;
        }
        // The server ended the subscription without an error: resume it like after a failure.
      } catch (error) {
        if (this.#stopped) return;
        if (!isTransientFailure(error) || failures >= this.#retry.attempts) throw error;
      } finally {
        await cancel(subscription);
      }
      try {
        const delay = backoffDelay(failures++, this.#retry.baseDelayMs, this.#retry.maxDelayMs);
        await sleep(delay, undefined, { signal: this.#stop.signal });
      } catch {
        return; // closed while waiting
      }
    }
  }
}

async function cancel(subscription: AllSubscription): Promise<void> {
  try {
    await subscription.unsubscribe();
  } catch {
    // The call never started (no connection): there is nothing to cancel.
  }
}
