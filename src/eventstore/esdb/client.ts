/** The client calls the esdb adapter makes, and its settings. */
import type { EventStoreDBClient } from '@eventstore/db-client';

/** The client operations this adapter uses; tests pass a fake server through it. */
export type EsdbClient = Pick<
  EventStoreDBClient,
  'appendToStream' | 'readStream' | 'readAll' | 'subscribeToAll' | 'getStreamMetadata' | 'dispose'
>;

export interface EsdbStoreOptions {
  /** Read-seal-append attempts for `any` / `stream-exists` when another writer got in first. */
  appendAttempts: number;
  /** Deadline of one append call; past it the outcome is unknown and the append is re-sent. */
  appendDeadlineMs: number;
  /** How often an append whose outcome is unknown is re-sent before the error is passed on. */
  appendResends: number;
  /** Retry delays of a failed subscription or outcome-unknown append: doubling, capped. */
  retry: { baseDelayMs: number; maxDelayMs: number };
  /**
   * Bytes one append may carry, as the server counts them. EventStoreDB 24.10 takes 1 MiB per
   * append by default, KurrentDB 25.1 16 MiB per event: the default is the smaller, so a ledger
   * moves between them.
   */
  maxAppendBytes: number;
  /** How long a Merkle question waits for the tree to reach the head of $all. */
  merkleCatchUpMs: number;
  /** Where alarms (a Merkle fork, retention rules) are written, besides the metrics. */
  log: (line: string) => void;
}

export const DEFAULT_OPTIONS: EsdbStoreOptions = {
  appendAttempts: 5,
  appendDeadlineMs: 10_000,
  appendResends: 3,
  retry: { baseDelayMs: 100, maxDelayMs: 5_000 },
  maxAppendBytes: 1024 * 1024,
  merkleCatchUpMs: 10_000,
  log: (line) => console.error(`ledger esdb alarm: ${line}`),
};
