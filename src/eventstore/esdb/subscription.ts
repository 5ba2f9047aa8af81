/**
 * Catch-up then live over `subscribeToAll`. The server subscribes *after* a position, so the
 * first event at or past `fromPosition` is found by a read, delivered, and subscribed after.
 *
 * Every failure ends the iteration with its error: with client 6 a failure cannot be sorted
 * into transient and final (an undiscoverable cluster is a plain Error, Client/discovery.js),
 * so whoever follows the ledger resubscribes from its own position, for ever, with capped
 * backoff, and reports itself not ready meanwhile (followLedger).
 */
import { excludeSystemEvents, type ReadPosition, START } from '@eventstore/db-client';
import type { RecordedEvent, Subscription } from '../port.ts';
import type { EsdbClient } from './client.ts';
import { isSystemEvent } from './mapping.ts';
import { type Located, ledgerEventOf } from './reads.ts';

export interface SubscriptionWiring {
  /** Inclusive, >= 1. */
  fromPosition: number;
  start: (from: number) => Promise<{ first?: Located; after: ReadPosition }>;
  closed: (subscription: EsdbSubscription) => void;
}

type AllSubscription = ReturnType<EsdbClient['subscribeToAll']>;

export class EsdbSubscription implements Subscription {
  readonly #client: EsdbClient;
  readonly #wiring: SubscriptionWiring;
  readonly #stop = new AbortController();
  readonly #events: AsyncGenerator<RecordedEvent>;
  #current: AllSubscription | undefined;

  constructor(client: EsdbClient, wiring: SubscriptionWiring) {
    this.#client = client;
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
    /** Position of the last event delivered: a server re-sending its resume point is ignored. */
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
    const subscription = this.#client.subscribeToAll({
      fromPosition: cursor,
      filter: excludeSystemEvents(),
    });
    this.#current = subscription;
    try {
      for await (const { event } of subscription) {
        if (this.#stopped) return;
        if (event === undefined || isSystemEvent(event)) continue;
        const recorded = ledgerEventOf(event);
        if (recorded === undefined || recorded.position < from || recorded.position <= delivered) {
          continue;
        }
        delivered = recorded.position;
        yield recorded;
      }
      if (this.#stopped) return;
      // The server ended the subscription without an error: the follower resubscribes.
      throw new Error('the server ended the $all subscription');
    } catch (error) {
      if (this.#stopped) return;
      throw error;
    } finally {
      await cancel(subscription);
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
