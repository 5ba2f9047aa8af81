/**
 * `npm run bench:merkle`: what the Merkle tree costs the ledger (docs/design.md §7).
 * 1. Durable append throughput of the SQLite store, 64 concurrent appenders of single events,
 *    with the tree kept beside the events and with it disabled (`{ merkle: false }`), on the same
 *    disk in the same run, interleaved over RUNS rounds: median (min–max), CPU time per event.
 * 2. Inclusion-proof latency at 1,000,000 leaves, read from the SQLite storage the store uses,
 *    beside the same tree in memory.
 * LEDGER_BENCH_EVENTS scales part 2 down for a quick look. Writes bench/results/merkle.json.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { MemoryMerkleStorage, MerkleTree } from '../src/core/merkle/tree.ts';
import type { EventStore } from '../src/eventstore/port.ts';
import Database from '../src/eventstore/sqlite/driver.ts';
import { openSqliteEventStore, sqliteMerkleStorage } from '../src/eventstore/sqlite/index.ts';
import { verifyInclusion } from '../src/verify.ts';
import {
  benchRow,
  benchShipment,
  interleavedRow,
  median,
  perSecond,
  report,
  type Sample,
} from './support.ts';

const APPENDERS = 64;
const APPENDS_PER_APPENDER = 313;
const RUNS = 3;
const LEAVES = Number(process.env.LEDGER_BENCH_EVENTS ?? 1_000_000);
const PROOFS = 10_000;

/** 64 appenders, each appending single events to its own stream. */
async function appendRun(store: EventStore): Promise<Sample> {
  const events = APPENDERS * APPENDS_PER_APPENDER;
  const cpu = process.cpuUsage();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: APPENDERS }, async (_, appender) => {
      for (let revision = 0; revision < APPENDS_PER_APPENDER; revision++)
        await store.append(`appender-${appender}`, [benchShipment()], {
          expectedRevision: revision === 0 ? 'no-stream' : revision - 1,
        });
    }),
  );
  const ms = performance.now() - started;
  const { user, system } = process.cpuUsage(cpu);
  return { value: perSecond(events, ms), cpuMicros: (user + system) / events };
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] as number;
}

async function compareAppends(folder: string): Promise<Record<'withTree' | 'without', Sample[]>> {
  const runs: Record<'withTree' | 'without', Sample[]> = { withTree: [], without: [] };
  for (let run = 0; run < RUNS; run++) {
    // Alternate which goes first, so neither always gets the warmer disk.
    const order = run % 2 === 0 ? [true, false] : [false, true];
    for (const merkle of order) {
      const store = openSqliteEventStore(join(folder, `append-${run}-${merkle}.sqlite`), {
        merkle,
      });
      runs[merkle ? 'withTree' : 'without'].push(await appendRun(store));
      await store.close();
    }
  }
  return runs;
}

/** Microseconds per inclusion proof of the leaves at `indices`; each proof is checked, untimed. */
function proofLatencies(tree: MerkleTree, size: number, indices: readonly number[]): number[] {
  const root = tree.root(size);
  return indices.map((index) => {
    const started = performance.now();
    const proof = tree.inclusionProof(index, size);
    const micros = (performance.now() - started) * 1000;
    if (!verifyInclusion(leafOf(index), index, size, proof, root))
      throw new Error(`the proof of leaf ${index} does not verify`);
    return micros;
  });
}

/** Leaf hashes derived from their index, so a proof can be checked without keeping them. */
const seed = randomBytes(16);
function leafOf(index: number): Uint8Array {
  const leaf = Buffer.alloc(32);
  seed.copy(leaf);
  leaf.writeUIntBE(index, 26, 6);
  return leaf;
}

function buildSqliteTree(path: string): {
  db: BetterSqlite3.Database;
  tree: MerkleTree;
  ms: number;
} {
  openSqliteEventStore(path).close(); // the store's schema, merkle_nodes included
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  const tree = new MerkleTree(sqliteMerkleStorage(db));
  const appendMany = db.transaction((from: number, to: number) => {
    for (let i = from; i < to; i++) tree.append(leafOf(i));
  });
  const started = performance.now();
  for (let from = 0; from < LEAVES; from += 10_000)
    appendMany(from, Math.min(LEAVES, from + 10_000));
  return { db, tree, ms: performance.now() - started };
}

const folder = mkdtempSync(join(tmpdir(), 'ledger-bench-merkle-'));
try {
  const appends = await compareAppends(folder);
  const appendRow = interleavedRow(
    `durable append, ${APPENDERS} appenders x ${APPENDS_PER_APPENDER} single events, Merkle tree kept`,
    'events/s',
    { ours: appends.withTree, baseline: appends.without },
    'the same store and workload, tree disabled',
    { aim: '>= 0.90 (cost < 10%)', cpuUnit: 'µs/event' },
  );
  const cost = 1 - appendRow.ratio;

  const { db, tree: onDisk, ms: buildMs } = buildSqliteTree(join(folder, 'tree.sqlite'));
  const inMemory = new MerkleTree(new MemoryMerkleStorage());
  for (let i = 0; i < LEAVES; i++) inMemory.append(leafOf(i));
  const indices = Array.from({ length: PROOFS }, () => Math.floor(Math.random() * LEAVES));
  proofLatencies(onDisk, LEAVES, indices.slice(0, 1000)); // warm-up: statement and page cache
  const disk = proofLatencies(onDisk, LEAVES, indices);
  const memory = proofLatencies(inMemory, LEAVES, indices);
  db.close();
  // Opening reads the stored tree: its root costs a few node reads, not a recomputation.
  const reopenedDb = new Database(join(folder, 'tree.sqlite'));
  const rootStarted = performance.now();
  new MerkleTree(sqliteMerkleStorage(reopenedDb)).root();
  const rootUs = (performance.now() - rootStarted) * 1000;
  reopenedDb.close();

  const leaves = LEAVES.toLocaleString('en-US');
  const rows = [
    appendRow,
    benchRow(
      `inclusion proof at ${leaves} leaves from the SQLite storage, median`,
      'us',
      median(disk),
      'the same tree in memory',
      median(memory),
      { aim: 'ours < 1000 us' },
    ),
    benchRow(
      `inclusion proof at ${leaves} leaves from the SQLite storage, p99`,
      'us',
      percentile(disk, 0.99),
      'the same tree in memory',
      percentile(memory, 0.99),
      { aim: 'ours < 1000 us' },
    ),
  ];
  report('merkle', rows, {
    runs: RUNS,
    appendRuns: appends,
    proofs: PROOFS,
    leaves: LEAVES,
    rootFromStoredTreeUs: rootUs,
    sqliteTreeBuildLeavesPerSecond: perSecond(LEAVES, buildMs),
  });
  console.log(
    `medians of ${RUNS} interleaved rounds: keeping the tree costs ${(cost * 100).toFixed(1)}% of durable append throughput (aim < 10%); ${PROOFS} random proofs at ${leaves} leaves; root of the stored tree in ${rootUs.toFixed(0)} us; tree built in SQLite at ${perSecond(LEAVES, buildMs)} leaves/s`,
  );
} finally {
  rmSync(folder, { recursive: true, force: true });
}
