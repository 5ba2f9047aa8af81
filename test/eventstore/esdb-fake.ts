/**
 * An in-process stand-in for a KurrentDB node, behind the client calls the esdb adapter makes,
 * so the adapter's logic runs here without Docker. It is modelled on the server's source
 * (kurrent-io/KurrentDB v25.1.4; line numbers as read there) and on @eventstore/db-client 6.2.1:
 *
 * - Positions are log offsets: large, strictly increasing, sparse; commit = prepare for the
 *   events of an implicit transaction (StorageWriterService.cs WritePrepares, 282-400).
 * - Appends decide as IndexWriter.CheckCommit does (IndexWriter.cs 154-258): a tombstoned
 *   stream is Deleted; `stream_exists` on a soft-deleted stream is Deleted; `any` and
 *   `stream_exists` are idempotent when the first event id is already committed in the stream
 *   (the committed-events cache, 180-207); an expected revision *behind* the head succeeds,
 *   writing nothing and answering the original revisions, when the ids stored at those
 *   revisions match, whatever the content (210-251); `no_stream` on a soft-deleted stream
 *   writes at the old last revision + 1 and moves $tb there (228-229; SoftUndeleteStream,
 *   StorageWriterService.cs 391, 441-470).
 * - Size limits are checked as the events arrive (Streams.Append.cs 64-73, Event.SizeOnDisk):
 *   KurrentDB 25.1 refuses one event over 16 MiB (TFConsts.MaxLogRecordSize) and an append
 *   over 256 MiB (ChunkSize); EventStoreDB 24.10 an append over 1 MiB (ClusterVNodeOptions.cs
 *   158, v24.10.9), with no per-event limit.
 * - Event ids are GUIDs and come back lowercase (the client's UUID conversion).
 * - Stream reads of a soft-deleted stream find no stream, and after an undelete start at $tb
 *   (IndexReader.cs 228-242); of a tombstoned one raise StreamDeleted (225).
 * - $all reads forwards are inclusive of their start and refuse a start that is not a record
 *   boundary with InvalidArgument "Trying to read from an invalid position." (RpcExceptions.cs
 *   259-260), which client 6 turns into a plain UnknownError (CommandError.js
 *   convertToCommandError: no case for INVALID_ARGUMENT).
 * - Subscriptions start *after* their position (or at START), apply the server-side filter and
 *   go live.
 * - When no node can be discovered, client 6 fails every call with a plain
 *   `Error("Failed to discover after N attempts.")` (Client/discovery.js discoverEndpoint),
 *   no command error; an append past its deadline fails with DeadlineExceededError whether or
 *   not the server committed it.
 * What it cannot show: real timing, clustering, gRPC framing.
 */
import { Readable } from 'node:stream';
import {
  type AllStreamResolvedEvent,
  type AppendExpectedRevision,
  type AppendToStreamOptions,
  DeadlineExceededError,
  type EventData,
  type Filter,
  MaxAppendSizeExceededError,
  type Position,
  type ReadAllOptions,
  type ReadStreamOptions,
  StreamDeletedError,
  StreamNotFoundError,
  type SubscribeToAllOptions,
  UnknownError,
  WrongExpectedVersionError,
} from '@eventstore/db-client';
import type { EsdbClient } from '../../src/eventstore/esdb/client.ts';

interface FakeRecord {
  streamId: string;
  id: string;
  type: string;
  revision: bigint;
  isJson: true;
  data: unknown;
  metadata: unknown;
  created: Date;
  position: Position;
}

interface FakeSubscription {
  stream: Readable;
  filter: Filter | undefined;
}

/** Defaults of the server versions the adapter supports (see the header). */
export const SERVER_LIMITS = {
  'kurrentdb-25.1': { maxAppendSize: 256 * 1024 * 1024, maxAppendEventSize: 16 * 1024 * 1024 },
  'eventstoredb-24.10': { maxAppendSize: 1024 * 1024, maxAppendEventSize: 2 ** 31 - 1 },
} as const;

/** EventNumber.DeletedStream (long.MaxValue): the $tb a soft delete writes. */
const DELETED_STREAM = 2 ** 63 - 1;

/** How the next append to a stream is answered (see answerNextAppend). */
type AppendFault = 'deadline-after-commit' | 'deadline-before-commit';

export interface FakeServerOptions {
  /**
   * Subscriptions from a position also send the event at it, as a server that counted
   * positions inclusively would; the adapter must not deliver it twice.
   */
  resendResumePoint?: boolean;
  limits?: (typeof SERVER_LIMITS)[keyof typeof SERVER_LIMITS];
}

export class FakeEsdbServer {
  readonly log: FakeRecord[] = [];
  readonly #streams = new Map<string, FakeRecord[]>();
  /** IndexWriter's _committedEvents: event id to its stream and revision. */
  readonly #committed = new Map<string, { streamId: string; revision: bigint }>();
  readonly #tombstoned = new Set<string>();
  readonly #subscriptions = new Set<FakeSubscription>();
  // The log starts with records that are not events (epoch, ...): the first event sits further on.
  #nextPosition = 1_536n;
  readonly #beforeAppend = new Map<string, () => Promise<unknown>>();
  readonly #appendFaults = new Map<string, AppendFault[]>();
  readonly #readFaults: Error[] = [];
  #unreachable: Error | undefined;
  readonly #options: FakeServerOptions;
  /** How many $all reads forwards started at START: a full scan of the log. */
  fullScans = 0;
  disposed = false;

  constructor(options: FakeServerOptions = {}) {
    this.#options = options;
    // What a fresh node writes on its own.
    this.systemEvent('$settings', '$settings');
    this.systemEvent('$$$users', '$metadata');
  }

  /** A client on this server, typed as the adapter's; it implements only the calls it makes. */
  client(): EsdbClient {
    // The real client's methods are generic overload sets; the fake implements their behaviour
    // for the argument shapes the adapter passes, which is what the adapter's type pins down.
    return {
      appendToStream: (
        stream: string,
        events: EventData | EventData[],
        options?: AppendToStreamOptions,
      ) =>
        this.#append(
          stream,
          Array.isArray(events) ? events : [events],
          options?.expectedRevision ?? 'any',
        ),
      readStream: (stream: string, options?: ReadStreamOptions) =>
        this.#reachable() ?? this.#readStream(stream, options),
      readAll: (options?: ReadAllOptions) => this.#reachable() ?? this.#readAll(options),
      subscribeToAll: (options?: SubscribeToAllOptions) => this.#subscribe(options),
      getStreamMetadata: async (stream: string) => {
        if (this.#unreachable) throw this.#unreachable;
        return { streamName: stream, metadata: asClientMetadata(this.#metadataOf(stream)) };
      },
      dispose: async () => {
        this.disposed = true;
      },
    } as unknown as EsdbClient;
  }

  /** Writes an event of the server itself (stats, settings, stream metadata). */
  systemEvent(streamId: string, type: string, data: unknown = {}): void {
    this.#write(streamId, [{ id: crypto.randomUUID(), type, data, metadata: undefined }]);
  }

  /** Writes an event the way another client of the same database would. */
  foreignWrite(
    streamId: string,
    type: string,
    data: unknown,
    metadata?: unknown,
    id: string = crypto.randomUUID(),
  ): void {
    this.#write(streamId, [{ id, type, data, metadata }]);
  }

  /**
   * Another server holding a copy of this one's log and indexes, as a restored backup would;
   * writes to either (or edits of its `log`) leave the other as it was.
   */
  copy(): FakeEsdbServer {
    const copy = new FakeEsdbServer(this.#options);
    copy.log.length = 0;
    copy.#streams.clear();
    copy.#committed.clear();
    for (const record of structuredClone(this.log)) {
      copy.log.push(record);
      const history = copy.#streams.get(record.streamId) ?? [];
      history[Number(record.revision)] = record;
      copy.#streams.set(record.streamId, history);
      copy.#committed.set(record.id, { streamId: record.streamId, revision: record.revision });
    }
    for (const stream of this.#tombstoned) copy.#tombstoned.add(stream);
    copy.#nextPosition = this.#nextPosition;
    return copy;
  }

  /** Sets a stream's metadata ($tb, $maxAge, $maxCount, ...), as the admin UI or a client can. */
  setStreamMetadata(streamId: string, metadata: Record<string, unknown>): void {
    this.systemEvent(`$$${streamId}`, '$metadata', metadata);
  }

  /** A soft delete: $tb = EventNumber.DeletedStream (StorageWriterService.cs, SOFT DELETE). */
  softDelete(streamId: string): void {
    this.setStreamMetadata(streamId, { ...this.#metadataOf(streamId), $tb: DELETED_STREAM });
  }

  /** A hard delete: a tombstone, after which the stream can never be written again. */
  tombstone(streamId: string): void {
    this.#tombstoned.add(streamId);
    this.systemEvent(streamId, '$streamDeleted');
  }

  /** Runs `write` once, just before the next append to `streamId` is checked: a writer winning a race. */
  beforeNextAppend(streamId: string, write: () => Promise<unknown>): void {
    this.#beforeAppend.set(streamId, write);
  }

  /**
   * The next append to `streamId` fails with DeadlineExceededError, after committing its events
   * or before: the client cannot tell which.
   */
  answerNextAppend(streamId: string, fault: AppendFault): void {
    this.#appendFaults.set(streamId, [...(this.#appendFaults.get(streamId) ?? []), fault]);
  }

  /** The next reads (stream or $all) fail with these errors, one each. */
  failNextReads(...errors: Error[]): void {
    this.#readFaults.push(...errors);
  }

  /** No node can be discovered: every call fails as client 6 does then, subscriptions too. */
  becomeUnreachable(attempts = 10): void {
    this.#unreachable = new Error(`Failed to discover after ${attempts} attempts.`);
    this.dropSubscriptions(this.#unreachable);
  }

  becomeReachable(): void {
    this.#unreachable = undefined;
  }

  /** Ends every live subscription with `error`, as a dropped connection or leader change does. */
  dropSubscriptions(error: Error): void {
    for (const subscription of this.#subscriptions) subscription.stream.destroy(error);
    this.#subscriptions.clear();
  }

  get liveSubscriptions(): number {
    return this.#subscriptions.size;
  }

  #reachable() {
    const error = this.#unreachable ?? this.#readFaults.shift();
    return error === undefined ? undefined : failing(error);
  }

  #metadataOf(streamId: string): Record<string, unknown> | undefined {
    const last = this.#streams.get(`$$${streamId}`)?.at(-1);
    return last?.data as Record<string, unknown> | undefined;
  }

  /** The stream's $tb: events below it are hidden from stream reads. */
  #truncateBefore(streamId: string): bigint | undefined {
    const tb = this.#metadataOf(streamId)?.$tb;
    return typeof tb === 'number' ? BigInt(tb) : undefined;
  }

  /** Soft-deleted: $tb is EventNumber.DeletedStream (JSON carries it as a double). */
  #softDeleted(streamId: string): boolean {
    return (this.#truncateBefore(streamId) ?? 0n) > BigInt(Number.MAX_SAFE_INTEGER);
  }

  async #append(
    streamId: string,
    proposed: EventData[],
    expected: AppendExpectedRevision,
  ): Promise<{ success: true; nextExpectedRevision: bigint; position: Position }> {
    if (this.#unreachable) throw this.#unreachable;
    const hook = this.#beforeAppend.get(streamId);
    this.#beforeAppend.delete(streamId);
    await hook?.();
    this.#checkSizes(proposed);
    const events = proposed.map((e) => ({
      id: guid(e.id),
      type: e.type,
      data: e.data,
      metadata: e.metadata,
    }));
    const fault = this.#appendFaults.get(streamId)?.shift();
    if (fault === 'deadline-before-commit') throw new DeadlineExceededError();
    const decision = this.#checkCommit(
      streamId,
      expected,
      events.map((e) => e.id),
    );
    let answer: { nextExpectedRevision: bigint; position: Position };
    if (decision.kind === 'idempotent') {
      answer = decision;
    } else {
      const written = this.#write(streamId, events, decision.revision);
      if (decision.softUndelete) {
        this.setStreamMetadata(streamId, {
          ...this.#metadataOf(streamId),
          $tb: Number(decision.revision),
        });
      }
      const last = written.at(-1) as FakeRecord;
      answer = { nextExpectedRevision: last.revision, position: last.position };
    }
    if (fault === 'deadline-after-commit') throw new DeadlineExceededError();
    return { success: true, ...answer };
  }

  /** Streams.Append.cs 64-73: each event's SizeOnDisk, then their sum, against the limits. */
  #checkSizes(events: EventData[]): void {
    const limits = this.#options.limits ?? SERVER_LIMITS['kurrentdb-25.1'];
    let size = 0;
    for (const event of events) {
      const eventSize =
        Buffer.byteLength(JSON.stringify(event.data)) +
        Buffer.byteLength(JSON.stringify(event.metadata ?? '')) +
        event.type.length * 2;
      if (eventSize > limits.maxAppendEventSize) {
        // No case for its exception key in client 6: a plain UnknownError with the server's text.
        throw new UnknownError(
          undefined,
          `Event with Id: ${event.id}, Size: ${eventSize}, exceeds Maximum Append Event Size of ${limits.maxAppendEventSize}.`,
        );
      }
      size += eventSize;
      if (size > limits.maxAppendSize) {
        throw MaxAppendSizeExceededError.fromMaxAppendSize(limits.maxAppendSize);
      }
    }
  }

  /** IndexWriter.CheckCommit (IndexWriter.cs 154-258) for one stream. */
  #checkCommit(
    streamId: string,
    expected: AppendExpectedRevision,
    eventIds: string[],
  ):
    | { kind: 'write'; revision: bigint; softUndelete: boolean }
    | { kind: 'idempotent'; nextExpectedRevision: bigint; position: Position } {
    const history = this.#streams.get(streamId) ?? [];
    const current = history.at(-1)?.revision ?? -1n;
    const softDeleted = this.#softDeleted(streamId);
    const wrong = () =>
      new WrongExpectedVersionError(undefined, {
        streamName: streamId,
        expected,
        current: current < 0n ? 'no_stream' : current,
      });
    const write = { kind: 'write' as const, revision: current + 1n, softUndelete: softDeleted };
    const idempotent = (last: bigint) => {
      const record = history[Number(last)] as FakeRecord;
      return { kind: 'idempotent' as const, nextExpectedRevision: last, position: record.position };
    };
    // 162-163: a tombstoned stream takes nothing.
    if (this.#tombstoned.has(streamId)) throw StreamDeletedError.fromStreamName(streamId);
    if (expected === 'stream_exists') {
      // 168-170
      if (softDeleted) throw StreamDeletedError.fromStreamName(streamId);
      if (current < 0n) throw wrong();
    }
    if (expected === 'any' || expected === 'stream_exists') {
      // 180-207: idempotent when the first id is committed in this stream, by id alone.
      const found = eventIds.map((id) => this.#committed.get(id));
      const first = found[0];
      if (first === undefined || first.streamId !== streamId) return write;
      if (found.some((f) => f === undefined || f.streamId !== streamId)) throw wrong();
      return idempotent((found.at(-1) as { revision: bigint }).revision);
    }
    const expectedRevision = expected === 'no_stream' ? -1n : BigInt(expected);
    if (expectedRevision < current) {
      // 210-251: the ids stored right after the expected revision decide; content is not compared.
      for (const [i, id] of eventIds.entries()) {
        const revision = expectedRevision + 1n + BigInt(i);
        if (history[Number(revision)]?.id === id) continue;
        if (i > 0) throw wrong(); // CorruptedIdempotency, answered as WrongExpectedVersion
        if (expected === 'no_stream' && softDeleted) return write; // 228-229
        throw wrong();
      }
      return idempotent(expectedRevision + BigInt(eventIds.length));
    }
    if (expectedRevision > current) throw wrong();
    return write;
  }

  #write(
    streamId: string,
    events: { id: string; type: string; data: unknown; metadata: unknown }[],
    firstRevision?: bigint,
  ): FakeRecord[] {
    const history = this.#streams.get(streamId) ?? [];
    const first = firstRevision ?? BigInt(history.length);
    const written = events.map((e, i) => {
      const data = JSON.stringify(e.data);
      const metadata = e.metadata === undefined ? undefined : JSON.stringify(e.metadata);
      const at = this.#nextPosition;
      // A record's size: a header plus its payload, as in the transaction log.
      this.#nextPosition += BigInt(120 + data.length + (metadata?.length ?? 0));
      return {
        streamId,
        id: e.id,
        type: e.type,
        revision: first + BigInt(i),
        isJson: true as const,
        data: JSON.parse(data),
        metadata: metadata === undefined ? undefined : JSON.parse(metadata),
        created: new Date(),
        position: { commit: at, prepare: at },
      };
    });
    for (const record of written) {
      history[Number(record.revision)] = record;
      this.#committed.set(record.id, { streamId, revision: record.revision });
    }
    this.#streams.set(streamId, history);
    this.log.push(...written);
    for (const record of written) {
      for (const subscription of this.#subscriptions) {
        if (passes(subscription.filter, record)) subscription.stream.push(resolved(record));
      }
    }
    return written;
  }

  #readStream(streamId: string, options: ReadStreamOptions = {}) {
    if (this.#tombstoned.has(streamId)) {
      return failing(StreamDeletedError.fromStreamName(streamId));
    }
    const truncateBefore = this.#truncateBefore(streamId) ?? 0n;
    const history = (this.#streams.get(streamId) ?? []).filter(
      (r) => r !== undefined && r.revision >= truncateBefore,
    );
    if (history.length === 0) return failing(new StreamNotFoundError(undefined, streamId));
    const from =
      options.fromRevision === undefined || options.fromRevision === 'start'
        ? 0n
        : options.fromRevision;
    if (typeof from !== 'bigint') throw new Error('fake: only forward stream reads');
    const count = Number(options.maxCount ?? Number.MAX_SAFE_INTEGER);
    return reading(history.filter((r) => r.revision >= from).slice(0, count));
  }

  #readAll(options: ReadAllOptions = {}) {
    const count = Number(options.maxCount ?? Number.MAX_SAFE_INTEGER);
    if (options.direction === 'backwards') {
      if (options.fromPosition !== 'end') throw new Error('fake: backwards only from END');
      return reading([...this.log].reverse().slice(0, count));
    }
    const start = options.fromPosition ?? 'start';
    if (start === 'end') return reading([]);
    if (start === 'start') {
      this.fullScans++;
      return reading(this.log.slice(0, count));
    }
    const index = this.log.findIndex((r) => r.position.commit === start.commit);
    if (index < 0) {
      // Past the end the server finds nothing; inside the log it refuses a non-record.
      if (start.commit >= this.#nextPosition) return reading([]);
      return failing(new UnknownError(undefined, 'Trying to read from an invalid position.'));
    }
    return reading(this.log.slice(index, index + count));
  }

  #subscribe(options: SubscribeToAllOptions = {}) {
    const subscription: FakeSubscription = {
      filter: options.filter,
      stream: new Readable({ objectMode: true, read() {} }),
    };
    const stream = Object.assign(subscription.stream, {
      unsubscribe: async () => {
        this.#subscriptions.delete(subscription);
        if (!stream.destroyed) stream.push(null);
      },
    });
    if (this.#unreachable) {
      const error = this.#unreachable;
      process.nextTick(() => stream.destroy(error));
      return stream;
    }
    const from = options.fromPosition ?? 'start';
    if (from === 'end') throw new Error('fake: subscriptions from END are not used');
    let backlog = this.log;
    if (from !== 'start') {
      const index = this.log.findIndex((r) => r.position.commit === from.commit);
      if (index < 0) throw new Error(`fake: subscription from a non-record ${from.commit}`);
      backlog = this.log.slice(this.#options.resendResumePoint ? index : index + 1);
    }
    for (const record of backlog) {
      if (passes(options.filter, record)) stream.push(resolved(record));
    }
    this.#subscriptions.add(subscription);
    process.nextTick(() => stream.emit('confirmation'));
    return stream;
  }
}

/** Stream metadata as client 6's getStreamMetadata hands it out ($tb as truncateBefore, ...). */
function asClientMetadata(raw: Record<string, unknown> | undefined) {
  if (raw === undefined) return undefined;
  const names: Record<string, string> = {
    $tb: 'truncateBefore',
    $maxAge: 'maxAge',
    $maxCount: 'maxCount',
  };
  return Object.fromEntries(Object.entries(raw).map(([key, value]) => [names[key] ?? key, value]));
}

/** The client sends ids as GUIDs; the server hands them back lowercase. */
function guid(id: string): string {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) {
    throw new TypeError(`fake: ${id} is not a UUID`);
  }
  return id.toLowerCase();
}

function resolved(record: FakeRecord): AllStreamResolvedEvent {
  // Every read parses the payload afresh, as the client does: readers share no objects.
  const event = structuredClone(record);
  return { event, commitPosition: record.position.commit } as AllStreamResolvedEvent;
}

function passes(filter: Filter | undefined, record: FakeRecord): boolean {
  if (filter === undefined) return true;
  const subject = filter.filterOn === 'eventType' ? record.type : record.streamId;
  return 'regex' in filter
    ? new RegExp(filter.regex).test(subject)
    : filter.prefixes.some((prefix) => subject.startsWith(prefix));
}

/** A finished read, cancellable like the client's. */
function reading(records: FakeRecord[]) {
  const stream = Readable.from(records.map(resolved));
  return Object.assign(stream, {
    cancel: async () => {
      stream.destroy();
    },
  });
}

function failing(error: Error) {
  const stream = new Readable({
    objectMode: true,
    read() {
      this.destroy(error);
    },
  });
  return Object.assign(stream, { cancel: async () => {} });
}
