/**
 * The EventStore port on KurrentDB / EventStoreDB (gRPC, `@eventstore/db-client` 6; servers
 * 22.6 and later, since older ones do not report the $all position of events read from a
 * stream). The rules it follows are in docs/design.md ("The ledger on KurrentDB"); in short:
 * - Our eventId is the server's event id (a lowercase UUID); our envelope metadata is the
 *   event's JSON metadata.
 * - `position` is the event's commit position in the transaction log: strictly increasing,
 *   sparse (byte offsets).
 * - Only ledger events leave the adapter: system events (`$` stream or type) and foreign ones
 *   (no ledger envelope) are skipped in $all, and counted.
 * - Appends (append.ts) seal on the stream's head and append at exactly its revision, then read
 *   back what the stream holds under their ids.
 * - The Merkle tree over the ledger's $all order is built by following $all (merkle.ts); signed
 *   checkpoints live in a stream of their own (checkpoints.ts).
 */
import { EventStoreDBClient } from '@eventstore/db-client';
import { closedStoreError, readAllRange } from '../append-rules.ts';
import type {
  AppendOptions,
  AppendResult,
  EventStore,
  EventToAppend,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  StoreHealth,
  SubscribeOptions,
  Subscription,
} from '../port.ts';
import { createAppender } from './append.ts';
import { checkpointStream } from './checkpoints.ts';
import { DEFAULT_OPTIONS, type EsdbClient, type EsdbStoreOptions } from './client.ts';
import { followMerkleLog } from './merkle.ts';
import { headPosition, readStreamFrom, scanAll, subscriptionStart } from './reads.ts';
import { retentionWatch } from './retention.ts';
import { EsdbSubscription } from './subscription.ts';

export type { EsdbClient, EsdbStoreOptions } from './client.ts';

/** Opens a store on `esdb://...` (client 6 knows only that scheme, e.g. `esdb://host:2113?tls=false`). */
export async function openEsdbEventStore(connectionString: string): Promise<EventStore> {
  return createEsdbEventStore(EventStoreDBClient.connectionString(connectionString));
}

export function createEsdbEventStore(
  client: EsdbClient,
  options: Partial<EsdbStoreOptions> = {},
): EventStore {
  const settings = { ...DEFAULT_OPTIONS, ...options };
  const appender = createAppender(client, settings);
  const subscriptions = new Set<EsdbSubscription>();
  let closed = false;
  const assertOpen = () => {
    if (closed) throw closedStoreError();
  };

  const store = {
    // Positions are commit offsets; the ledger cannot choose them, so it cannot import either.
    capabilities: { densePositions: false, importRecorded: false },

    async append(
      stream: string,
      events: EventToAppend[],
      appendOptions: AppendOptions,
    ): Promise<AppendResult> {
      assertOpen();
      return appender.append(stream, events, appendOptions);
    },

    async readStream(stream: string, readOptions?: ReadStreamOptions): Promise<RecordedEvent[]> {
      assertOpen();
      const from = readOptions?.fromRevision ? BigInt(readOptions.fromRevision) : 'start';
      return readStreamFrom(client, stream, from);
    },

    async readAll(readOptions?: ReadAllOptions): Promise<RecordedEvent[]> {
      assertOpen();
      const { from, limit } = readAllRange(readOptions);
      return (await scanAll(client, from, limit)).located.map(({ event }) => event);
    },

    async findEvent(eventId: string): Promise<RecordedEvent | null> {
      assertOpen();
      return appender.findEvent(eventId);
    },

    subscribe(subscribeOptions: SubscribeOptions = {}): Subscription {
      const subscription = new EsdbSubscription(client, {
        fromPosition: Math.max(1, subscribeOptions.fromPosition ?? 1),
        start: (from) => subscriptionStart(client, from),
        closed: (s) => subscriptions.delete(s),
      });
      // Like the other stores, a closed store's subscription ends at once.
      if (closed) void subscription.close();
      else subscriptions.add(subscription);
      return subscription;
    },

    async headPosition(): Promise<number> {
      assertOpen();
      return headPosition(client);
    },

    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await merkle.close();
      await Promise.all([...subscriptions].map((s) => s.close()));
      await client.dispose();
    },
  };

  const alarms: string[] = [];
  const alarm = (detail: string) => {
    alarms.push(detail);
    settings.log(detail);
  };
  const retention = retentionWatch(client, alarm);
  const merkle = followMerkleLog(store, {
    retry: settings.retry,
    catchUpTimeoutMs: settings.merkleCatchUpMs,
    onLeaf: (event) => retention.seen(event.stream),
  });
  const signedCheckpoints = checkpointStream(client, merkle, { onFork: alarm });

  return {
    ...store,
    merkle,
    signedCheckpoints,
    health(): StoreHealth {
      if (alarms.length > 0) return { ok: false, detail: alarms.join('; ') };
      const { up, lastError } = merkle.following;
      return up
        ? { ok: true, detail: 'Merkle tree following $all' }
        : { ok: false, detail: `Merkle tree follower down, retrying: ${lastError}` };
    },
  };
}
