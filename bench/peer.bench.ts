/**
 * `npm run bench:peer`: our SQLite EventStore beside Emmett's (@event-driven-io/emmett-sqlite at
 * the newest version the registry serves, kept in bench/peers/sqlite/ and installed there on
 * first use),
 * the same workload and the same shipment payloads on each, every phase in a fresh file and its
 * own process: (a) 1 appender, one event per append; (b) 64 appenders, one event per append, each
 * on its own stream with exact expected versions; (c) 1 appender, 100 events per append, then
 * reading everything back, all at once in pages and stream by stream.
 *
 * Emmett's concurrent appends fail or never answer, so each appender counts every rejected append
 * (with its message) and carries on from the version its stream holds in the file; phases stop
 * at LEDGER_BENCH_SECONDS (default 10) and rates count only what was acknowledged by then. An
 * append unanswered GRACE_MS past the deadline counts as hung, and a phase's process that has
 * not reported well after that is killed: the row then says "hung (no progress in N s)".
 * Each run measures both sides in turn (interleaved), with this process's CPU time per event.
 * LEDGER_BENCH_EVENTS below 10,000 shrinks the workload.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { format } from 'node:util';
import type { EventToAppend } from '../src/eventstore/port.ts';
import Database from '../src/eventstore/sqlite/driver.ts';
import { openSqliteEventStore } from '../src/eventstore/sqlite/index.ts';
import {
  benchShipment,
  interleavedRow,
  loadPeer,
  measureInChild,
  median,
  peakRssBytes,
  report,
  type Sample,
} from './support.ts';

const EVENTS = Math.min(10_000, Number(process.env.LEDGER_BENCH_EVENTS ?? 10_000));
const SECONDS = Number(process.env.LEDGER_BENCH_SECONDS ?? 10);
const APPENDERS = 64;
const PER_APPENDER = Math.ceil(EVENTS / APPENDERS);
const SEQUENTIAL = Math.min(1_000, EVENTS);
const BATCH = 100;
const READ_PAGE = 1_000;
const READ_PASSES = 3;
const RUNS = 3;
/** How long past the deadline an append may still answer before it counts as hung. */
const GRACE_MS = 2_000;
/** A phase's process still silent this long after its deadline is killed, and counted as hung. */
const CHILD_TIMEOUT_MS = (SECONDS + 60) * 1000;

type SideName = 'ours' | 'emmett';
/** emmett-per-appender: one Emmett store (so one connection) per appender instead of one shared. */
type Phase = 'sequential' | 'concurrent' | 'concurrent-per-appender' | 'batched-read';

interface Failure {
  message: string;
  count: number;
  example: string;
}

interface PhaseResult {
  side: SideName;
  phase: Phase;
  /** Events acknowledged before the deadline, and the seconds they took. */
  events: number;
  seconds: number;
  rate: number;
  appends: number;
  failures: Failure[];
  /** Appends still unanswered GRACE_MS after the deadline. */
  hung: number;
  /** Acknowledged after the deadline, within the grace: not in `rate`. */
  late: number;
  /** Events the file holds once the phase's process has exited, counted by the parent. */
  eventsInFile: number;
  /** Errors the store printed itself (Emmett logs the cause before rolling back). */
  logged: Failure[];
  /** Errors nobody caught (node-sqlite3 emits 'error' events without a listener). */
  uncaught: Failure[];
  /** This process's CPU time (every thread) over the appends, per acknowledged event. */
  cpuMicros: number;
  /** Seconds without an answer to any append when the phase gave up on them (0: none hung). */
  stalledSeconds: number;
  readAll?: Read;
  readStreams?: Read;
  peakRss: number;
}

interface Read {
  events: number;
  rate: number;
  cpuMicros: number;
}

/** The peer's API as this bench uses it (its types stay in its own package folder). */
interface EmmettStore {
  appendToStream(
    stream: string,
    events: { type: string; data: unknown; metadata?: unknown }[],
    options: { expectedStreamVersion: bigint },
  ): Promise<unknown>;
  readStream(stream: string): Promise<{ events: unknown[] }>;
}
interface EmmettConnection {
  close(): void;
  query<T>(sql: string, values?: unknown[]): Promise<T[]>;
  querySingle<T>(sql: string, values?: unknown[]): Promise<T | null>;
}
interface EmmettSqlite {
  getSQLiteEventStore(options: { fileName: string }): EmmettStore;
  sqliteConnection(options: { fileName: string }): EmmettConnection;
  readMessagesBatch(
    connection: EmmettConnection,
    options: { from: bigint; batchSize: number },
  ): Promise<{ currentGlobalPosition: bigint; messages: unknown[]; areEventsLeft: boolean }>;
}

const loadEmmett = async () =>
  (await loadPeer('sqlite', ['@event-driven-io/emmett-sqlite']))[0] as EmmettSqlite;

/** The same shipment for both stores, without our event id (Emmett assigns its own). */
function shipment() {
  const { eventId: _, ...event } = benchShipment();
  return event;
}

/** What the harness needs of a store; `held` is how many events the stream holds before the append. */
interface Side {
  append(appender: number, stream: string, held: number, count: number): Promise<void>;
  /** Read beside the store, so an appender can resume after a failed append. */
  heldInFile(stream: string): Promise<number>;
  readAll(): Promise<number>;
  readStream(stream: string): Promise<number>;
  close(): Promise<void>;
}

/** Ours appends one event here before the clock; the phases' counts leave it out. */
const WARM_UP_STREAM = 'warm-up';

async function ourSide(file: string): Promise<Side> {
  const store = openSqliteEventStore(file);
  // The store's writer thread starts with its first commit (~300 ms of CPU): before the clock,
  // as Emmett creates its schema before it (emmettSide).
  await store.append(WARM_UP_STREAM, [{ eventId: randomUUID(), ...shipment() }], {
    expectedRevision: 'no-stream',
  });
  const probe = new Database(file, { readonly: true });
  const held = probe.prepare<[string], number>('SELECT count(*) FROM events WHERE stream = ?');
  return {
    append: async (_appender, stream, held, count) => {
      const events: EventToAppend[] = Array.from({ length: count }, () => ({
        eventId: randomUUID(),
        ...shipment(),
      }));
      await store.append(stream, events, {
        expectedRevision: held === 0 ? 'no-stream' : held - 1,
      });
    },
    heldInFile: async (stream) => held.pluck().get(stream) as number,
    readAll: async () => {
      let count = 0;
      // From 2: position 1 is the warm-up event.
      for (let fromPosition = 2; ; ) {
        const page = await store.readAll({ fromPosition, limit: READ_PAGE });
        const last = page.at(-1);
        if (last === undefined) return count;
        count += page.length;
        fromPosition = last.position + 1;
      }
    },
    readStream: async (stream) => (await store.readStream(stream)).length,
    close: async () => {
      probe.close();
      await store.close();
    },
  };
}

async function emmettSide(file: string, storePerAppender: boolean): Promise<Side> {
  const { getSQLiteEventStore, readMessagesBatch, sqliteConnection } = await loadEmmett();
  const stores = Array.from({ length: storePerAppender ? APPENDERS : 1 }, () =>
    getSQLiteEventStore({ fileName: file }),
  );
  // Emmett creates its schema on a store's first call: do that before the clock starts.
  for (const store of stores) await store.readStream('warm-up');
  const storeOf = (appender: number) => stores[appender % stores.length] as EmmettStore;
  // Through Emmett's own driver: a second SQLite library in the process (better-sqlite3) would
  // lose its POSIX locks whenever Emmett closes a connection, and read a "malformed" file.
  const probe = sqliteConnection({ fileName: file });
  return {
    append: async (appender, stream, held, count) => {
      await storeOf(appender).appendToStream(stream, Array.from({ length: count }, shipment), {
        expectedStreamVersion: BigInt(held),
      });
    },
    // Emmett's stream_position counts the stream's events, and is the expected version.
    heldInFile: async (stream) => {
      const row = await probe.querySingle<{ stream_position: number }>(
        'SELECT stream_position FROM emt_streams WHERE stream_id = ?',
        [stream],
      );
      return Number(row?.stream_position ?? 0);
    },
    readAll: async () => {
      // readMessagesBatch is what Emmett's own consumers page the global order with.
      const connection = sqliteConnection({ fileName: file });
      let count = 0;
      try {
        for (let from = 0n; ; ) {
          const batch = await readMessagesBatch(connection, { from, batchSize: READ_PAGE });
          count += batch.messages.length;
          if (batch.messages.length === 0 || !batch.areEventsLeft) return count;
          from = batch.currentGlobalPosition + 1n;
        }
      } finally {
        connection.close();
      }
    },
    readStream: async (stream) => (await storeOf(0).readStream(stream)).events.length,
    close: async () => {
      probe.close();
    },
  };
}

/** Groups errors by message with digits blanked, keeping one example of each. */
class Tally {
  readonly groups = new Map<string, Failure>();
  add(error: unknown): void {
    const code = error instanceof Error ? ((error as { code?: string }).code ?? error.name) : '';
    // node-sqlite3 already starts its messages with the code.
    const text = !(error instanceof Error)
      ? format(error)
      : error.message.startsWith(code)
        ? error.message
        : `${code}: ${error.message}`;
    const message = text.replace(/\d+/g, 'N').slice(0, 300);
    const group = this.groups.get(message) ?? { message, count: 0, example: text.slice(0, 300) };
    group.count++;
    this.groups.set(message, group);
  }
  list(): Failure[] {
    return [...this.groups.values()].sort((a, b) => b.count - a.count);
  }
}

type Settled = { ok: true } | { ok: false; error: unknown } | { hung: true };

function settleBy(work: Promise<void>, at: number): Promise<Settled> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve({ hung: true }), Math.max(0, at - performance.now()));
    work.then(
      () => resolve({ ok: true }),
      (error: unknown) => resolve({ ok: false, error }),
    );
    work.finally(() => clearTimeout(timer)).catch(() => undefined);
  });
}

/**
 * Runs `appenders` loops; each owns `streams` streams and appends to them in turn, `size` events
 * at a time, until each holds `quota` events or the deadline passes.
 */
async function appendLoad(
  side: Side,
  appenders: number,
  streams: number,
  quota: number,
  size: number,
) {
  const failures = new Tally();
  const cpu = process.cpuUsage();
  const started = performance.now();
  const deadline = started + SECONDS * 1000;
  let events = 0;
  let appends = 0;
  let hung = 0;
  let late = 0;
  let lastAcknowledged = started;
  /** When any append last answered, acknowledged or refused. */
  let lastAnswer = started;
  let stalledSeconds = 0;
  const finished = await Promise.all(
    Array.from({ length: appenders }, async (_, appender) => {
      const owned = Array.from({ length: streams }, (_, k) => ({
        name: `shipments-${appender * streams + k}`,
        held: 0,
      }));
      for (let turn = 0; performance.now() < deadline; turn++) {
        const open = owned.filter((stream) => stream.held < quota);
        const stream = open[turn % open.length];
        if (stream === undefined) return true;
        const count = Math.min(size, quota - stream.held);
        appends++;
        const append = side.append(appender, stream.name, stream.held, count);
        const outcome = await settleBy(append, deadline + GRACE_MS);
        if ('hung' in outcome) {
          hung++;
          stalledSeconds = (performance.now() - lastAnswer) / 1000;
          return false;
        }
        lastAnswer = performance.now();
        if (outcome.ok) {
          stream.held += count;
          const now = performance.now();
          if (now <= deadline) {
            events += count;
            lastAcknowledged = now;
          } else late += count;
        } else {
          failures.add(outcome.error);
          stream.held = await side.heldInFile(stream.name);
        }
      }
      return owned.every((stream) => stream.held >= quota);
    }),
  );
  // When every appender finished in time the rate is over the time taken, else over the window.
  const seconds =
    finished.every(Boolean) && late === 0 ? (lastAcknowledged - started) / 1000 : SECONDS;
  const { user, system } = process.cpuUsage(cpu);
  return {
    events,
    seconds,
    rate: events / seconds,
    cpuMicros: events === 0 ? Number.NaN : (user + system) / events,
    appends,
    failures,
    hung,
    stalledSeconds,
    late,
  };
}

async function timedRead(read: () => Promise<number>): Promise<Read> {
  const rates: number[] = [];
  const cpus: number[] = [];
  let events = 0;
  for (let pass = 0; pass <= READ_PASSES; pass++) {
    const cpu = process.cpuUsage();
    const started = performance.now();
    events = await read();
    const { user, system } = process.cpuUsage(cpu);
    // Pass 0 warms the page cache and the JIT.
    if (pass > 0) {
      rates.push(events / ((performance.now() - started) / 1000));
      cpus.push((user + system) / events);
    }
  }
  return { events, rate: median(rates), cpuMicros: median(cpus) };
}

async function runPhase(sideName: SideName, phase: Phase, file: string): Promise<PhaseResult> {
  const logged = new Tally();
  const uncaught = new Tally();
  if (sideName === 'emmett') {
    // Emmett's withTransaction console.logs each error before its rollback, which may then
    // throw one of its own; keep those causes, and keep stdout for the result line.
    console.log = (...args: unknown[]) => logged.add(args.length === 1 ? args[0] : format(...args));
    // node-sqlite3 emits 'error' on a Database nobody listens to; count it rather than die.
    const count = (error: unknown) => {
      uncaught.add(error);
      process.stderr.write(`emmett, uncaught: ${format(error)}\n`);
    };
    process.on('uncaughtException', count);
    process.on('unhandledRejection', count);
  }

  const side =
    sideName === 'ours'
      ? await ourSide(file)
      : await emmettSide(file, phase === 'concurrent-per-appender');
  const load =
    phase === 'sequential'
      ? await appendLoad(side, 1, 1, SEQUENTIAL, 1)
      : phase === 'batched-read'
        ? // One appender filling the 64 streams of phase (b) in turn, BATCH events per append.
          await appendLoad(side, 1, APPENDERS, PER_APPENDER, BATCH)
        : await appendLoad(side, APPENDERS, 1, PER_APPENDER, 1);
  let reads: Pick<PhaseResult, 'readAll' | 'readStreams'> = {};
  if (phase === 'batched-read') {
    const streams = Array.from({ length: APPENDERS }, (_, k) => `shipments-${k}`);
    reads = {
      readAll: await timedRead(() => side.readAll()),
      readStreams: await timedRead(async () => {
        let count = 0;
        for (const stream of streams) count += await side.readStream(stream);
        return count;
      }),
    };
  }
  await settleBy(side.close(), performance.now() + GRACE_MS);
  return {
    side: sideName,
    phase,
    events: load.events,
    seconds: load.seconds,
    rate: load.rate,
    appends: load.appends,
    failures: load.failures.list(),
    hung: load.hung,
    stalledSeconds: load.stalledSeconds,
    cpuMicros: load.cpuMicros,
    late: load.late,
    eventsInFile: Number.NaN,
    logged: logged.list(),
    uncaught: uncaught.list(),
    ...reads,
    peakRss: peakRssBytes(),
  };
}

const script = new URL(import.meta.url);

/**
 * One phase in its own process; a process that never reports is killed and its phase hung. A
 * peer's process that ends without its result (Emmett's node-sqlite3 has thrown SQLITE_BUSY
 * where nothing catches it) counts as that phase's failure, with nothing acknowledged; ours
 * ending so fails the bench.
 */
function phaseInChild(side: SideName, phase: Phase, file: string): PhaseResult {
  try {
    return measureInChild<PhaseResult>(script, [side, phase, file], CHILD_TIMEOUT_MS);
  } catch (error) {
    const timedOut = (error as { code?: string }).code === 'ETIMEDOUT';
    if (!timedOut && side === 'ours') throw error;
    const ended = `its process ended without a result: ${(error as Error).message.split('\n')[0]}`;
    return {
      side,
      phase,
      events: 0,
      seconds: SECONDS,
      rate: 0,
      cpuMicros: Number.NaN,
      appends: 0,
      failures: [],
      hung: timedOut ? 1 : 0,
      stalledSeconds: timedOut ? CHILD_TIMEOUT_MS / 1000 : 0,
      late: 0,
      eventsInFile: Number.NaN,
      logged: [],
      uncaught: timedOut ? [] : [{ message: ended, count: 1, example: ended }],
      peakRss: Number.NaN,
    };
  }
}

const hungNote = (result: PhaseResult) =>
  result.hung === 0
    ? '0 hung'
    : `${result.hung} hung (no progress in ${Math.round(result.stalledSeconds)} s)`;

const [sideArg, phaseArg, fileArg] = process.argv.slice(2);
if (sideArg !== undefined) {
  const result = await runPhase(sideArg as SideName, phaseArg as Phase, fileArg as string);
  process.stdout.write(`${JSON.stringify(result)}\n`);
  // Hung Emmett appends leave handles behind; the result is out, so leave now.
  process.exit(0);
} else {
  await main();
}

async function main(): Promise<void> {
  const folder = mkdtempSync(join(tmpdir(), 'ledger-bench-peer-'));
  await loadEmmett(); // installs the peer before the first phase, not inside it
  const results: PhaseResult[] = [];
  try {
    const plan: [SideName, Phase][] = [
      ['ours', 'sequential'],
      ['emmett', 'sequential'],
      ['ours', 'concurrent'],
      ['emmett', 'concurrent'],
      ['emmett', 'concurrent-per-appender'],
      ['ours', 'batched-read'],
      ['emmett', 'batched-read'],
    ];
    // Interleaved runs, medians reported: the disk and the other core are noisy.
    for (let run = 0; run < RUNS; run++) {
      for (const [side, phase] of plan) {
        const file = join(folder, `${side}-${phase}-${run}.sqlite`);
        const result = phaseInChild(side, phase, file);
        result.eventsInFile = eventsIn(file, side);
        results.push(result);
        console.error(
          `run ${run + 1}/${RUNS} ${side} ${phase}: ${Math.round(result.rate)} events/s` +
            (result.failures.length + result.hung > 0
              ? `, ${sum(result.failures.map((f) => f.count))} failed, ${hungNote(result)}`
              : ''),
        );
      }
    }
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }

  const of = (side: SideName, phase: Phase) =>
    results.filter((r) => r.side === side && r.phase === phase);
  // Each run measured both sides in turn: rows pair them run by run (interleavedRow).
  const samples = (side: SideName, phase: Phase, pick: (r: PhaseResult) => Read | undefined) =>
    of(side, phase).map((r): Sample => {
      const read = pick(r);
      return { value: read?.rate ?? Number.NaN, cpuMicros: read?.cpuMicros ?? Number.NaN };
    });
  const appended = (r: PhaseResult): Read => r;
  // Acknowledged vs in the file (all runs): fewer in the file means acknowledged appends were lost.
  const tally = (side: SideName, phase: Phase) => {
    const runs = of(side, phase);
    const total = (pick: (r: PhaseResult) => number) => sum(runs.map(pick));
    const appends = total((r) => r.appends);
    const rejected = total((r) => sum(r.failures.map((f) => f.count)));
    const hung = total((r) => r.hung);
    const acknowledged = total((r) => r.events + r.late);
    const inFile = total((r) => r.eventsInFile);
    const stalled = runs.filter((r) => r.hung > 0);
    return rejected + hung === 0 && acknowledged === inFile
      ? `${side}: ${appends} appends, all acknowledged, ${inFile} events in the files`
      : `${side}: ${appends} appends, ${rejected} rejected, ${hung} unanswered, ` +
          `${acknowledged} events acknowledged, ${inFile} in the files` +
          (stalled.length === 0
            ? ''
            : `; hung (no progress in ${Math.round(Math.max(...stalled.map((r) => r.stalledSeconds)))} s) in ${stalled.length} of ${runs.length} runs`);
  };
  const outcome = (ourPhase: Phase, emmettPhase: Phase = ourPhase) =>
    `${tally('ours', ourPhase)}; ${tally('emmett', emmettPhase)}`;
  const row = (
    measure: string,
    baseline: string,
    [ourPhase, emmettPhase]: [Phase, Phase],
    pick: (r: PhaseResult) => Read | undefined,
    note?: string,
  ) =>
    interleavedRow(
      measure,
      'events/s',
      { ours: samples('ours', ourPhase, pick), baseline: samples('emmett', emmettPhase, pick) },
      `emmett-sqlite ${baseline}`,
      { cpuUnit: 'µs/event', aim: '> 1', ...(note === undefined ? {} : { note }) },
    );
  const rows = [
    row(
      `append, 1 appender, 1 event per append (up to ${SEQUENTIAL})`,
      'same',
      ['sequential', 'sequential'],
      appended,
      outcome('sequential'),
    ),
    row(
      `append, ${APPENDERS} appenders, 1 event per append (up to ${PER_APPENDER * APPENDERS})`,
      'one store shared',
      ['concurrent', 'concurrent'],
      appended,
      outcome('concurrent'),
    ),
    row(
      `append, ${APPENDERS} appenders, 1 event per append (up to ${PER_APPENDER * APPENDERS})`,
      'a store per appender',
      ['concurrent', 'concurrent-per-appender'],
      appended,
      outcome('concurrent', 'concurrent-per-appender'),
    ),
    row(
      `append, 1 appender, ${BATCH} events per append (up to ${PER_APPENDER * APPENDERS})`,
      'same',
      ['batched-read', 'batched-read'],
      appended,
      outcome('batched-read'),
    ),
    row(
      `read all, pages of ${READ_PAGE} (${of('ours', 'batched-read')[0]?.readAll?.events} events)`,
      'readMessagesBatch',
      ['batched-read', 'batched-read'],
      (r) => r.readAll,
    ),
    row(
      `read each of ${APPENDERS} streams (${of('ours', 'batched-read')[0]?.readStreams?.events} events)`,
      'readStream',
      ['batched-read', 'batched-read'],
      (r) => r.readStreams,
    ),
  ];

  const failures = (['ours', 'emmett'] as const).flatMap((side) =>
    (['sequential', 'concurrent', 'concurrent-per-appender', 'batched-read'] as const).flatMap(
      (phase) => {
        const merged = new Map<string, { kind: string } & Failure>();
        for (const r of of(side, phase))
          for (const [kind, list] of [
            ['rejected append', r.failures],
            ['logged by the store', r.logged],
            ['uncaught', r.uncaught],
          ] as const)
            for (const f of list) {
              const key = `${kind} ${f.message}`;
              const count = f.count + (merged.get(key)?.count ?? 0);
              merged.set(key, { ...f, kind, count });
            }
        return [...merged.values()].map((f) => ({
          side,
          phase,
          kind: f.kind,
          count: f.count,
          error: f.example,
        }));
      },
    ),
  );

  report('peer', rows, {
    runs: RUNS,
    secondsCap: SECONDS,
    peer: JSON.parse(readFileSync(new URL('./peers/sqlite/package.json', import.meta.url), 'utf8'))
      .dependencies,
    sqlite: {
      ours: new Database(':memory:').prepare('SELECT sqlite_version()').pluck().get(),
      emmett: await emmettSqlite(),
    },
    failures,
    results,
  });
  if (failures.length > 0) {
    console.log('Errors by message over all runs (the first of each kind as an example):');
    console.table(failures);
  } else console.log('No append was rejected.');
  console.log(
    `medians of ${RUNS} runs; every phase in a fresh file and process; phases stop after ${SECONDS} s`,
  );
}

/** What the file holds, read once the process that wrote it has exited. */
function eventsIn(file: string, side: SideName): number {
  const db = new Database(file, { readonly: true });
  try {
    return side === 'ours'
      ? (db
          .prepare('SELECT count(*) FROM events WHERE stream <> ?')
          .pluck()
          .get(WARM_UP_STREAM) as number)
      : (db.prepare('SELECT count(*) FROM emt_messages').pluck().get() as number);
  } finally {
    db.close();
  }
}

/** Emmett's driver (node-sqlite3) bundles its own SQLite; its pragmas decide its durability. */
async function emmettSqlite() {
  const connection = (await loadEmmett()).sqliteConnection({ fileName: ':memory:' });
  try {
    const [version] = await connection.query<{ v: string }>('SELECT sqlite_version() AS v');
    const [sync] = await connection.query<{ synchronous: number }>('PRAGMA synchronous');
    return { version: version?.v, synchronous: sync?.synchronous, journal_mode: 'WAL' };
  } finally {
    connection.close();
  }
}

function sum(values: number[]): number {
  return values.reduce((total, value) => total + value, 0);
}
