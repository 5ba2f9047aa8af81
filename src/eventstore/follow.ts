/**
 * Following the global order for as long as the follower lives: whatever fails (the store, the
 * network, a cluster that cannot be discovered, the follower's own step), it resubscribes
 * after the last event it handled, with capped exponential backoff, for ever, and says
 * meanwhile that it is down, so readiness can report it.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { EventStore, RecordedEvent } from './port.ts';

export interface FollowState {
  /** False from a failure until the store answers again. */
  readonly up: boolean;
  /** Failures in a row; 0 while up. */
  readonly failures: number;
  readonly lastError: string | null;
}

export interface Follower {
  readonly state: FollowState;
  /** Stops following; resolves once the current step finished. */
  close(): Promise<void>;
}

export interface FollowOptions {
  /** First position to deliver (inclusive). */
  fromPosition: number;
  onEvent: (event: RecordedEvent) => void | Promise<void>;
  retry?: { baseDelayMs: number; maxDelayMs: number };
  onFailure?: (error: Error, failures: number) => void;
}

export const DEFAULT_RETRY = { baseDelayMs: 100, maxDelayMs: 5_000 };

export function followLedger(
  store: Pick<EventStore, 'subscribe' | 'headPosition'>,
  options: FollowOptions,
): Follower {
  const retry = options.retry ?? DEFAULT_RETRY;
  const stop = new AbortController();
  let next = options.fromPosition;
  let state: FollowState = { up: true, failures: 0, lastError: null };
  let current: { close(): Promise<void> } | undefined;

  const running = (async () => {
    while (!stop.signal.aborted) {
      try {
        if (state.failures > 0) {
          // The store answers again: up, even if nothing new is committed for a while.
          await store.headPosition();
          state = { up: true, failures: 0, lastError: null };
        }
        const subscription = store.subscribe({ fromPosition: next });
        current = subscription;
        if (stop.signal.aborted) await subscription.close();
        for await (const event of subscription) {
          await options.onEvent(event);
          next = event.position + 1;
        }
        // The store closed the subscription: it was closed itself.
        return;
      } catch (error) {
        if (stop.signal.aborted) return;
        const failure = error instanceof Error ? error : new Error(String(error));
        const failures = state.failures + 1;
        state = { up: false, failures, lastError: failure.message };
        options.onFailure?.(failure, failures);
        const delay = Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** (failures - 1));
        try {
          await sleep(delay, undefined, { signal: stop.signal });
        } catch {
          return; // closed while waiting
        }
      } finally {
        await current?.close();
        current = undefined;
      }
    }
  })();

  return {
    get state() {
      return state;
    },
    async close() {
      stop.abort();
      await current?.close();
      await running;
    },
  };
}
