/**
 * An in-process stand-in for a KurrentDB node, behind the few client calls the esdb adapter
 * makes, so the adapter's own logic runs here without Docker. It mimics the server behaviour the
 * adapter relies on, as documented and as read in KurrentDB's AllReader:
 * - positions are log offsets: large, strictly increasing, not dense; commit = prepare for the
 *   events of an append (implicit transactions);
 * - the log holds system events (`$`-streams, `$`-types) besides ours;
 * - $all reads forwards are inclusive of their start and refuse a start that is not a record;
 *   backwards from END; stream reads of an unknown stream fail with StreamNotFoundError;
 * - appends check the expected revision and report WrongExpectedVersionError with the actual;
 * - subscriptions start *after* their position (or at START), apply the server-side filter and
 *   go live; JSON data and metadata round-trip through text.
 * What it cannot show: timing, clustering, gRPC failures beyond the ones a test injects.
 */
import { Readable } from 'node:stream';
import {
  type AllStreamResolvedEvent,
  type AppendExpectedRevision,
  type AppendToStreamOptions,
  type EventData,
  type Filter,
  type Position,
  type ReadAllOptions,
  type ReadStreamOptions,
  StreamNotFoundError,
  type SubscribeToAllOptions,
  UnknownError,
  WrongExpectedVersionError,
} from '@eventstore/db-client';
import type { EsdbClient } from '../../src/eventstore/esdb.ts';

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

export class FakeEsdbServer {
  readonly log: FakeRecord[] = [];
  readonly #streams = new Map<string, FakeRecord[]>();
  readonly #subscriptions = new Set<FakeSubscription>();
  // The log starts with records that are not events (epoch, ...): the first event sits further on.
  #nextPosition = 1_536n;
  readonly #beforeAppend = new Map<string, () => Promise<unknown>>();
  /** How many $all reads forwards started at START: a full scan of the log. */
  fullScans = 0;
  disposed = false;

  /**
   * `resendResumePoint`: subscriptions from a position also send the event at it, as a server
   * that counted positions inclusively would; the adapter must not deliver it twice.
   */
  constructor(private readonly options: { resendResumePoint?: boolean } = {}) {
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
        this.#readStream(stream, options),
      readAll: (options?: ReadAllOptions) => this.#readAll(options),
      subscribeToAll: (options?: SubscribeToAllOptions) => this.#subscribe(options),
      dispose: async () => {
        this.disposed = true;
      },
    } as unknown as EsdbClient;
  }

  /** Writes an event of the server itself (stats, settings, stream metadata). */
  systemEvent(streamId: string, type: string): void {
    this.#write(streamId, [{ id: crypto.randomUUID(), type, data: {}, metadata: undefined }]);
  }

  /** Writes an event the way another client of the same database would. */
  foreignWrite(streamId: string, type: string, data: unknown, metadata?: unknown): void {
    this.#write(streamId, [{ id: crypto.randomUUID(), type, data, metadata }]);
  }

  /** Runs `write` once, just before the next append to `streamId` is checked: a writer winning a race. */
  beforeNextAppend(streamId: string, write: () => Promise<unknown>): void {
    this.#beforeAppend.set(streamId, write);
  }

  /** Ends every live subscription with `error`, as a dropped connection or leader change does. */
  dropSubscriptions(error: Error): void {
    for (const subscription of this.#subscriptions) subscription.stream.destroy(error);
    this.#subscriptions.clear();
  }

  get liveSubscriptions(): number {
    return this.#subscriptions.size;
  }

  async #append(
    streamId: string,
    events: EventData[],
    expected: AppendExpectedRevision,
  ): Promise<{ success: true; nextExpectedRevision: bigint; position: Position }> {
    const hook = this.#beforeAppend.get(streamId);
    this.#beforeAppend.delete(streamId);
    await hook?.();
    const current = this.#streams.get(streamId)?.at(-1)?.revision;
    const ok =
      expected === 'any' ||
      (expected === 'no_stream' && current === undefined) ||
      (expected === 'stream_exists' && current !== undefined) ||
      expected === current;
    if (!ok) {
      throw new WrongExpectedVersionError(undefined, {
        streamName: streamId,
        expected,
        current: current ?? 'no_stream',
      });
    }
    const written = this.#write(
      streamId,
      events.map((e) => ({ id: e.id, type: e.type, data: e.data, metadata: e.metadata })),
    );
    const last = written.at(-1) as FakeRecord;
    return { success: true, nextExpectedRevision: last.revision, position: last.position };
  }

  #write(
    streamId: string,
    events: { id: string; type: string; data: unknown; metadata: unknown }[],
  ): FakeRecord[] {
    const history = this.#streams.get(streamId) ?? [];
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
        revision: BigInt(history.length + i),
        isJson: true as const,
        data: JSON.parse(data),
        metadata: metadata === undefined ? undefined : JSON.parse(metadata),
        created: new Date(),
        position: { commit: at, prepare: at },
      };
    });
    history.push(...written);
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
    const history = this.#streams.get(streamId);
    if (history === undefined) return failing(new StreamNotFoundError(undefined, streamId));
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
      return failing(new UnknownError(undefined, `invalid position ${start.commit}`));
    }
    return reading(this.log.slice(index, index + count));
  }

  #subscribe(options: SubscribeToAllOptions = {}) {
    const from = options.fromPosition ?? 'start';
    if (from === 'end') throw new Error('fake: subscriptions from END are not used');
    let backlog = this.log;
    if (from !== 'start') {
      const index = this.log.findIndex((r) => r.position.commit === from.commit);
      if (index < 0) throw new Error(`fake: subscription from a non-record ${from.commit}`);
      backlog = this.log.slice(this.options.resendResumePoint ? index : index + 1);
    }
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
    for (const record of backlog) {
      if (passes(options.filter, record)) stream.push(resolved(record));
    }
    this.#subscriptions.add(subscription);
    process.nextTick(() => stream.emit('confirmation'));
    return stream;
  }
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
