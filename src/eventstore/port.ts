/**
 * The EventStore port: what every adapter (memory, sqlite, esdb) offers. Adapters depend on
 * this module, never the reverse. Event payloads are opaque JSON here; the domain gives them
 * meaning.
 */

import type { EventToAppend, RecordedEvent } from '../core/envelope.ts';

export type {
  AppendMetadata,
  EventToAppend,
  RecordedEvent,
  RecordedMetadata,
} from '../core/envelope.ts';

/** `no-stream`: the stream must not exist; `stream-exists`: it must; `any`: no check; a number: its last revision. */
export type ExpectedRevision = 'no-stream' | 'stream-exists' | 'any' | number;

export interface AppendedEvent {
  eventId: string;
  revision: number;
  position: number;
}

export interface AppendResult {
  stream: string;
  /** The stream's last revision after the append. */
  nextExpectedRevision: number;
  /** The global position of the last appended event. */
  position: number;
  events: AppendedEvent[];
}

export interface AppendOptions {
  expectedRevision: ExpectedRevision;
}

export interface ReadStreamOptions {
  fromRevision?: number;
}

export interface ReadAllOptions {
  /** Inclusive; defaults to the first event. */
  fromPosition?: number;
  limit?: number;
}

export interface SubscribeOptions {
  /** Inclusive; events from here are delivered (catch-up), then live ones as they commit. */
  fromPosition?: number;
}

/** A catch-up-then-live feed of the global order. Closing it ends the iteration. */
export interface Subscription extends AsyncIterable<RecordedEvent> {
  close(): Promise<void>;
}

/** What a store can do, so callers never test URL schemes. */
export interface StoreCapabilities {
  /** Positions are exactly 1, 2, 3, ... with no gaps (memory, sqlite, postgres); esdb's are commit offsets. */
  readonly densePositions: boolean;
  /** importRecorded is offered (an empty store can take a ledger exported elsewhere). */
  readonly importRecorded: boolean;
}

/**
 * The store's RFC 6962 Merkle tree over its global order (docs/design.md, "Integrity"): leaf i
 * is the i-th event, hashed as docs/merkle-leaf.md says. Stores that keep it update it in the
 * transaction that writes the events, so it always covers exactly the committed events. Async so
 * any store can keep it.
 */
export interface LedgerMerkleTree {
  /** Number of leaves: the events committed. */
  size(): Promise<number>;
  /** Root of the first `treeSize` leaves (default: all). */
  root(treeSize?: number): Promise<Uint8Array>;
  inclusionProof(leafIndex: number, treeSize: number): Promise<Uint8Array[]>;
  consistencyProof(size1: number, size2: number): Promise<Uint8Array[]>;
  /** The leaf index of a ledger event; null when the tree holds no such event (yet). */
  leafIndexOf(eventId: string): Promise<number | null>;
  /** The global position of leaf `leafIndex`; absent where it is leafIndex + 1 (dense positions). */
  positionOf?(leafIndex: number): Promise<number>;
}

/** Signed checkpoint notes kept by the store itself (same durability as the events), oldest first. */
export interface SignedCheckpointLog {
  /** Notes from index `from` (0-based, default 0), oldest first, as appended by any process. */
  notes(from?: number): Promise<readonly string[]>;
  append(note: string): Promise<void>;
  /** Witnesses' cosignatures from index `from` (0-based, default 0), oldest first. */
  cosignatures(from?: number): Promise<readonly KeptCosignature[]>;
  addCosignature(cosignature: KeptCosignature): Promise<void>;
  /**
   * The RFC 3161 timestamp token kept for the checkpoint whose text has SHA-256 `imprint` (hex),
   * if one was (docs/design.md "Trusted time").
   */
  timestampOf(imprint: string): Promise<Uint8Array | undefined>;
  /** Keeps a checkpoint's token; the first one kept stays (a second one is ignored). */
  keepTimestamp(imprint: string, token: Uint8Array): Promise<void>;
}

/** A witness's cosignature line (c2sp.org/tlog-cosignature) on the kept note of `treeSize`. */
export interface KeptCosignature {
  treeSize: number;
  /** `— <witness name> <base64>` and a newline. */
  line: string;
}

/** Alarms a store raised about itself, beyond answering (esdb: a Merkle fork, retention rules). */
export interface StoreHealth {
  ok: boolean;
  detail: string;
}

export interface EventStore {
  readonly capabilities: StoreCapabilities;
  append(stream: string, events: EventToAppend[], options: AppendOptions): Promise<AppendResult>;
  /** The stream's events in revision order, from `fromRevision` (default 0); [] for no stream. */
  readStream(stream: string, options?: ReadStreamOptions): Promise<RecordedEvent[]>;
  readAll(options?: ReadAllOptions): Promise<RecordedEvent[]>;
  /** The event stored under `eventId`, found by index; null when there is none. */
  findEvent(eventId: string): Promise<RecordedEvent | null>;
  subscribe(options?: SubscribeOptions): Subscription;
  /**
   * Writes events exactly as recorded elsewhere (ids, revisions, record times, hashes) into an
   * empty store, for `ledger import`. Present iff capabilities.importRecorded.
   */
  importRecorded?(events: readonly RecordedEvent[]): Promise<void>;
  /** Position of the last event in the store, 0 when empty. */
  headPosition(): Promise<number>;
  /** Present when the store keeps the tree (memory, sqlite, postgres, and esdb via its sidecar). */
  readonly merkle?: LedgerMerkleTree;
  /** Present when the store keeps the signed-checkpoint history itself. */
  readonly signedCheckpoints?: SignedCheckpointLog;
  /** Present when the store can raise alarms that make the service not ready. */
  health?(): StoreHealth;
  close(): Promise<void>;
}
