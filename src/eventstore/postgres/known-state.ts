/**
 * The locked state a store's own last commit left behind (write-driver.ts): while no other
 * writer has committed since, it is exactly what reading it again would answer, so the next
 * batch can be planned on it and written in one round trip, behind a guard that the ledger's head
 * is still where this store left it and that none of the batch's event ids is stored (a retry is
 * answered from what was stored): else the batch is planned again on a fresh read.
 */
import type { MerkleNode } from '../../core/merkle/tree.ts';
import type { LockedState, PlannedEvent, StreamHead } from '../append-plan.ts';
import { edgeNodes, treeKey } from '../growing-tree.ts';

/** Beyond this many streams the known heads start again from one batch's (a bound on memory). */
const MAX_KNOWN_STREAMS = 10_000;

export interface KnownState {
  position: number;
  recordedAt: string | undefined;
  /** The heads of these streams; a known stream without a head has no events. */
  heads: Map<string, StreamHead | null>;
  tree: { size: number; edge: ReadonlyMap<string, Uint8Array> };
}

/** The state to plan on, when every stream of the batch is known. */
export function plannedOn(known: KnownState, streams: readonly string[]): LockedState | undefined {
  const heads = new Map<string, StreamHead>();
  for (const stream of streams) {
    const head = known.heads.get(stream);
    if (head === undefined) return undefined;
    if (head !== null) heads.set(stream, head);
  }
  return {
    position: known.position,
    recordedAt: known.recordedAt,
    stored: new Map(),
    heads,
    tree: known.tree,
  };
}

/**
 * The state after a commit that read (or planned on) `read` for `streams` and wrote `events` and
 * `nodes`. `before`: what was known until then, whose heads still hold if no event was
 * committed between (the head `read` is where `before` left it); they are taken over, not copied.
 */
export function afterCommit(
  read: LockedState,
  streams: readonly string[],
  events: readonly PlannedEvent[],
  nodes: readonly MerkleNode[],
  before: KnownState | undefined,
): KnownState | undefined {
  if (read.tree === null) return undefined;
  const heads =
    before?.position === read.position && before.heads.size < MAX_KNOWN_STREAMS
      ? before.heads
      : new Map<string, StreamHead | null>();
  for (const stream of streams) heads.set(stream, read.heads.get(stream) ?? null);
  for (const { event } of events) {
    heads.set(event.stream, { revision: event.revision, hash: event.metadata.hash });
  }
  const last = events.at(-1)?.event;
  const position = last?.position ?? read.position;
  const nodesByKey = new Map(read.tree.edge);
  for (const node of nodes) nodesByKey.set(treeKey(node.level, node.index), node.hash);
  const edge = new Map<string, Uint8Array>();
  for (const { level, index } of edgeNodes(position)) {
    const hash = nodesByKey.get(treeKey(level, index));
    if (hash === undefined) return undefined;
    edge.set(treeKey(level, index), hash);
  }
  return {
    position,
    recordedAt: last?.metadata.recordedAt ?? read.recordedAt,
    heads,
    tree: { size: position, edge },
  };
}
