/**
 * The append plan: what a batch of appends writes, computed from the state the store read under
 * its append lock, with no I/O (as Tessera's integrate.go beside its thin storage drivers). Every
 * store runs it (write-path.ts); a store only reads the locked state and writes what it returns.
 * Per append, in order: recognise a retry, check the expected revision, seal on the stream's
 * head, number the events after the ledger's head, extend the Merkle tree. Each append is checked
 * against the state the earlier ones in the batch left; a refused one costs the others nothing.
 */
import { canonicalJson } from '../core/canonical-json.ts';
import {
  type CanonicalEvent,
  canonicalEvent,
  GENESIS_HASH,
  hashCanonical,
  stampedMetadata,
  stampMembers,
} from '../core/event-hash.ts';
import type { MerkleNode } from '../core/merkle/tree.ts';
import { leafHash, leafInput, sealedLeafHash } from '../core/merkle-leaf.ts';
import {
  appendResult,
  checkExpectedRevision,
  commitInstant,
  retriedAppendResult,
} from './append-rules.ts';
import { GrowingTree } from './growing-tree.ts';
import type { AppendResult, EventToAppend, ExpectedRevision, RecordedEvent } from './port.ts';

/**
 * One append as the plan takes it: each event's data as the canonical JSON text it is stored and
 * hashed as (the SQLite writer thread receives only that text), and, when the store computed them
 * before the lock (SQLite, on its main thread), the event's other canonical members.
 */
export interface QueuedAppend {
  stream: string;
  expectedRevision: ExpectedRevision;
  events: readonly {
    event: Omit<EventToAppend, 'data'>;
    dataJson: string;
    canonical?: CanonicalEvent;
  }[];
}

export interface StreamHead {
  revision: number;
  hash: string;
}

/** What a batch depends on, read by the store under its append lock. */
export interface LockedState {
  /** Position of the ledger's last event, 0 when empty. */
  position: number;
  /** `recordedAt` of the ledger's last event. */
  recordedAt: string | undefined;
  /** The stored events among the ids the batch names. */
  stored: ReadonlyMap<string, RecordedEvent>;
  /** The last revision and hash of each stream of the batch that exists. */
  heads: ReadonlyMap<string, StreamHead>;
  /** The Merkle tree's size and right edge (edgeNodes), or null for a store kept without one. */
  tree: { size: number; edge: ReadonlyMap<string, Uint8Array> } | null;
}

/** An event the plan sealed and numbered; the store writes it with its data text. */
export interface PlannedEvent {
  event: Omit<RecordedEvent, 'data'>;
  dataJson: string;
}

export type Outcome =
  | { ok: true; result: AppendResult; written: number }
  | { ok: false; error: unknown };

export interface BatchPlan {
  /** One per append, in batch order. */
  outcomes: Outcome[];
  /** The rows to insert, in position order. */
  events: PlannedEvent[];
  /** The tree nodes those events completed. */
  nodes: MerkleNode[];
}

/** Plans a batch; throws (refusing every append) only when the tree and the events disagree. */
export function planBatch(
  batch: readonly QueuedAppend[],
  state: LockedState,
  now: number = Date.now(),
): BatchPlan {
  if (state.tree !== null && state.tree.size !== state.position) {
    throw new Error(
      `the Merkle tree has ${state.tree.size} leaves but the ledger ${state.position} events: the tree and the events of this store disagree`,
    );
  }
  const recordedAt = commitInstant(state.recordedAt, now);
  /** Events this batch writes, by id: a later append of the batch may repeat one. */
  const written = new Map<string, PlannedEvent>();
  const storedEvent = (eventId: string): RecordedEvent | undefined => {
    const planned = written.get(eventId);
    // Parsed back only for a retry, the one place content is compared.
    if (planned) return { ...planned.event, data: JSON.parse(planned.dataJson) };
    return state.stored.get(eventId);
  };
  const heads = new Map(state.heads);
  const tree = state.tree && new GrowingTree(state.tree.size, new Map(state.tree.edge));
  let position = state.position;
  const events: PlannedEvent[] = [];

  const outcomes = batch.map((append): Outcome => {
    let planned: PlannedEvent[];
    let leaves: Uint8Array[];
    try {
      const retried = retryOf(append, storedEvent);
      if (retried !== undefined) return { ok: true, result: retried, written: 0 };
      const head = heads.get(append.stream);
      checkExpectedRevision(append.stream, append.expectedRevision, head?.revision ?? -1);
      // Leaves hashed before the tree grows, so a refusal leaves it as it was.
      ({ planned, leaves } = seal(append, head, position, recordedAt, tree !== null));
    } catch (error) {
      return { ok: false, error };
    }
    // Checked and sealed: from here on the append is part of the batch.
    for (const leaf of leaves) tree?.append(leaf);
    for (const event of planned) written.set(event.event.eventId, event);
    const last = planned.at(-1)?.event as PlannedEvent['event'];
    heads.set(append.stream, { revision: last.revision, hash: last.metadata.hash });
    position = last.position;
    events.push(...planned);
    return {
      ok: true,
      result: appendResult(
        append.stream,
        planned.map(({ event }) => event),
      ),
      written: planned.length,
    };
  });
  return { outcomes, events, nodes: tree?.added ?? [] };
}

/** The result of the earlier append this one repeats, when every id is stored already. */
function retryOf(
  append: QueuedAppend,
  stored: (eventId: string) => RecordedEvent | undefined,
): AppendResult | undefined {
  const found = append.events.map(({ event }) => stored(event.eventId));
  if (found.every((event) => event === undefined)) return undefined;
  return retriedAppendResult(
    append.stream,
    // Only a retry compares content: its data is parsed back for that.
    append.events.map(({ event, dataJson }) => ({ ...event, data: JSON.parse(dataJson) })),
    append.expectedRevision,
    found,
  );
}

/**
 * Seals the append's events on the stream's head and numbers them after `position`; with
 * `withLeaves`, their leaf hashes too. Each event's canonical text is written from its
 * canonical members once for the hash and once for the leaf, never re-serialised.
 */
function seal(
  { stream, events }: QueuedAppend,
  head: StreamHead | undefined,
  position: number,
  recordedAt: string,
  withLeaves: boolean,
): { planned: PlannedEvent[]; leaves: Uint8Array[] } {
  const streamJson = canonicalJson(stream);
  let prevHash = head?.hash ?? GENESIS_HASH;
  let revision = head?.revision ?? -1;
  let next = position;
  const leaves: Uint8Array[] = [];
  const planned = events.map(({ event, dataJson, canonical = canonicalEvent(event) }) => {
    revision++;
    next++;
    const stamps = stampMembers(prevHash, recordedAt);
    const hash = hashCanonical(canonical, dataJson, streamJson, revision, stamps);
    if (withLeaves) {
      leaves.push(sealedLeafHash(canonical, dataJson, streamJson, revision, next, stamps, hash));
    }
    const metadata = stampedMetadata(event.metadata, recordedAt, prevHash, hash);
    prevHash = hash;
    const { eventId, type } = event;
    return { event: { eventId, stream, revision, position: next, type, metadata }, dataJson };
  });
  return { planned, leaves };
}

/** The streams and event ids whose state a batch needs. */
export function batchKeys(batch: readonly QueuedAppend[]): {
  streams: string[];
  eventIds: string[];
} {
  return {
    streams: [...new Set(batch.map((append) => append.stream))],
    eventIds: batch.flatMap((append) => append.events.map(({ event }) => event.eventId)),
  };
}

/**
 * What an import of a ledger exported elsewhere writes into an empty store: its events as
 * recorded, numbered 1, 2, 3, ..., and the tree over them. Throws when the store is not empty or
 * the positions have a gap.
 */
export function planImport(
  recorded: readonly RecordedEvent[],
  state: Pick<LockedState, 'position' | 'tree'>,
): Pick<BatchPlan, 'events' | 'nodes'> {
  if (state.position !== 0 || (state.tree?.size ?? 0) !== 0) {
    throw new Error('import needs an empty store');
  }
  recorded.forEach((e, index) => {
    if (e.position !== index + 1)
      throw new Error(`import needs positions 1, 2, 3, ...; got ${e.position} at ${index + 1}`);
  });
  const tree = state.tree && new GrowingTree(0, new Map());
  const events = recorded.map(({ data, ...event }): PlannedEvent => {
    const dataJson = canonicalJson(data);
    tree?.append(leafHash(leafInput(event, dataJson)));
    return { event, dataJson };
  });
  return { events, nodes: tree?.added ?? [] };
}
