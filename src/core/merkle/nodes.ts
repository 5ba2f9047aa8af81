/**
 * Addressing in the RFC 6962 tree, apart from any storage (as transparency-dev/merkle keeps
 * compact/nodes.go apart from proof/proof.go): which stored nodes a root or proof is built
 * from, and each node's key in post-order. A store reads the nodes a proof needs in one query
 * and folds them with subtreeHash (tree.ts).
 *
 * Node (level, index) is the perfect subtree over leaves [index * 2^level, (index + 1) * 2^level);
 * level 0 holds the leaf hashes. Arithmetic, not bitwise operators: those truncate to 32 bits.
 */

export interface NodeAddress {
  level: number;
  index: number;
}

/** Leaves [start, end): the span of one proof element. */
export type LeafRange = readonly [start: number, end: number];

/**
 * The stored nodes whose hashes make MTH of leaves [start, end), left to right: a perfect,
 * aligned subtree is one node; a subtree on the right border of a tree splits at the largest
 * power of two below its width (RFC 6962), whose left part is perfect and aligned.
 */
export function subtreeNodes(start: number, end: number): NodeAddress[] {
  const nodes: NodeAddress[] = [];
  let from = start;
  while (end - from > 0) {
    const width = end - from;
    if (floorPowerOfTwo(width) === width && from % width === 0) {
      nodes.push({ level: log2(width), index: from / width });
      break;
    }
    const k = largestPowerOfTwoBelow(width);
    nodes.push({ level: log2(k), index: from / k });
    from += k;
  }
  return nodes;
}

/**
 * The ranges of the audit path PATH(m, D[n]) of RFC 6962 section 2.1.1 for leaf `leafIndex`
 * (m) in the tree of `treeSize` leaves (n), bottom-up.
 */
export function inclusionProofRanges(leafIndex: number, treeSize: number): LeafRange[] {
  // Walk down from the root; each step's sibling is the next proof element, top-down.
  const topDown: LeafRange[] = [];
  let start = 0;
  let end = treeSize;
  while (end - start > 1) {
    const k = largestPowerOfTwoBelow(end - start);
    if (leafIndex < start + k) {
      topDown.push([start + k, end]);
      end = start + k;
    } else {
      topDown.push([start, start + k]);
      start += k;
    }
  }
  return topDown.reverse();
}

/**
 * The ranges of the consistency proof PROOF(m, D[n]) of RFC 6962 section 2.1.2 between the
 * first `size1` leaves (m) and the first `size2` (n), bottom-up; none when m = 0 or m = n.
 */
export function consistencyProofRanges(size1: number, size2: number): LeafRange[] {
  if (size1 === 0 || size1 === size2) return [];
  // SUBPROOF(m, D[start:end], b), unrolled: `sawRight` is !b, set once the walk went right.
  const topDown: LeafRange[] = [];
  let start = 0;
  let end = size2;
  let sawRight = false;
  while (end !== size1) {
    const k = largestPowerOfTwoBelow(end - start);
    if (size1 - start <= k) {
      topDown.push([start + k, end]);
      end = start + k;
    } else {
      topDown.push([start, start + k]);
      start += k;
      sawRight = true;
    }
  }
  if (sawRight) topDown.push([start, end]);
  return topDown.reverse();
}

/**
 * The nodes an append of leaf `leafIndex` completes, bottom-up, the leaf first: while a node is
 * a right child, its parent has just become complete.
 */
export function completedNodes(leafIndex: number): NodeAddress[] {
  const nodes: NodeAddress[] = [{ level: 0, index: leafIndex }];
  for (let level = 0, index = leafIndex; index % 2 === 1; ) {
    level++;
    index = (index - 1) / 2;
    nodes.push({ level, index });
  }
  return nodes;
}

/**
 * Post-order position of node (level, index), the order in which an append-only tree completes
 * its nodes (as Merkle Mountain Ranges number them): the tree of s = (index + 1) * 2^level
 * leaves holds 2s - popcount(s) nodes, and the append that completed this node stored
 * ctz(index + 1) nodes above it.
 */
export function nodeKey(level: number, index: number): number {
  const size = (index + 1) * 2 ** level;
  let above = 0;
  for (let n = index + 1; n % 2 === 0; n /= 2) above++;
  return 2 * size - popcount(size) - 1 - above;
}

/** The number of leaves of a tree holding `nodes` nodes (the s with 2s - popcount(s) = nodes). */
export function leavesOfNodes(nodes: number): number {
  let leaves = Math.ceil(nodes / 2);
  while (2 * leaves - popcount(leaves) < nodes) leaves++;
  return leaves;
}

function popcount(n: number): number {
  let count = 0;
  for (let m = n; m > 0; m = Math.floor(m / 2)) count += m % 2;
  return count;
}

/** The largest power of two <= n, for n >= 1. */
function floorPowerOfTwo(n: number): number {
  let k = 1;
  while (k * 2 <= n) k *= 2;
  return k;
}

/** RFC 6962's k: the largest power of two strictly below n, for n >= 2. */
function largestPowerOfTwoBelow(n: number): number {
  return floorPowerOfTwo(n - 1);
}

function log2(powerOfTwo: number): number {
  return Math.round(Math.log2(powerOfTwo));
}
