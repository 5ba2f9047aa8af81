/**
 * `npm run bench`: every benchmark (bench/<name>.bench.ts) one after another, each in its own
 * process so none inherits another's heap or page cache warmth in-process; then one table of all
 * their rows, read back from bench/results/<name>.json, written to bench/results/all.json.
 * LEDGER_BENCH_EVENTS and LEDGER_BENCH_SECONDS pass through to every bench for a quick run.
 * Interleaved rows print as median (min–max) of their rounds, flagged when they spread > 10%.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  type BenchRow,
  formatFigure,
  isBenchRow,
  type LooseRow,
  machine,
  type Rounds,
} from './support.ts';

/** The issue's order; any other *.bench.ts runs after these. */
const ORDER = ['store', 'replay', 'http', 'heavy-requests', 'peer', 'postgres', 'verify', 'merkle'];
const benchDir = fileURLToPath(new URL('.', import.meta.url));
const resultsDir = fileURLToPath(new URL('./results/', import.meta.url));
const root = fileURLToPath(new URL('..', import.meta.url));

const found = readdirSync(benchDir)
  .filter((file) => file.endsWith('.bench.ts') && !file.startsWith('_'))
  .map((file) => file.slice(0, -'.bench.ts'.length));
const names = [
  ...ORDER.filter((name) => found.includes(name)),
  ...found.filter((name) => !ORDER.includes(name)).sort(),
];

interface Ran {
  name: string;
  seconds: number;
  exitCode: number | null;
  /** False when the bench wrote no results in this run (it failed, or writes elsewhere). */
  fresh: boolean;
}

interface CombinedRow {
  bench: string;
  measure: string;
  unit: string;
  ours: number | string;
  baseline: string;
  baselineValue: number | string;
  ratio: number | string;
  aim: string;
  note?: string;
  rounds?: Rounds;
}

const started = performance.now();
const ran: Ran[] = [];
const rows: CombinedRow[] = [];
const env = {
  LEDGER_BENCH_EVENTS: process.env.LEDGER_BENCH_EVENTS ?? '(default)',
  LEDGER_BENCH_SECONDS: process.env.LEDGER_BENCH_SECONDS ?? '(default)',
};
console.log(`benches: ${names.join(', ')}; ${JSON.stringify(env)}`);

for (const name of names) {
  console.log(`\n=== bench:${name} ===`);
  const benchStarted = performance.now();
  const startedAt = new Date();
  const child = spawnSync(process.execPath, ['--import', 'tsx', `${benchDir}${name}.bench.ts`], {
    cwd: root,
    env: process.env,
    stdio: 'inherit',
  });
  const seconds = (performance.now() - benchStarted) / 1000;
  const results = readResults(name, startedAt);
  ran.push({ name, seconds, exitCode: child.status, fresh: results !== undefined });
  if (child.status !== 0)
    console.error(`bench:${name} exited with ${child.status ?? child.signal}`);
  for (const row of results ?? []) rows.push(combine(name, row));
}

const totalSeconds = (performance.now() - started) / 1000;
console.log('\n=== all benches ===');
console.table(
  rows.map(({ rounds, ...row }) => ({
    bench: row.bench,
    measure: row.measure,
    // Interleaved figures as median (min–max); the others as their bench gave them.
    ours: `${rounds ? formatFigure(rounds.ours) : row.ours} ${row.unit}`.trim(),
    baseline:
      row.baseline === ''
        ? ''
        : `${`${rounds ? formatFigure(rounds.baseline) : row.baselineValue} ${row.unit}`.trim()} (${row.baseline})`,
    ratio: rounds ? formatFigure(rounds.ratio) : row.ratio,
    aim: row.aim,
    spread: rounds?.warning ? '> 10%' : '',
  })),
);
for (const bench of ran.filter((r) => r.exitCode !== 0 || !r.fresh))
  console.log(
    `bench:${bench.name}: exit ${bench.exitCode}${bench.fresh ? '' : ', no results written in this run'}`,
  );
console.log(
  `times: ${ran.map((r) => `${r.name} ${r.seconds.toFixed(0)} s`).join(', ')}; total ${formatDuration(totalSeconds)}`,
);
writeFileSync(
  `${resultsDir}all.json`,
  `${JSON.stringify(
    { measuredAt: new Date().toISOString(), ...machine(), env, totalSeconds, ran, rows },
    null,
    2,
  )}\n`,
);
process.exitCode = ran.some((r) => r.exitCode !== 0 || !r.fresh) ? 1 : 0;

/** The rows bench/results/<name>.json holds, if the bench wrote it after `since`. */
function readResults(name: string, since: Date): (BenchRow | LooseRow)[] | undefined {
  const file = `${resultsDir}${name}.json`;
  if (!existsSync(file)) return undefined;
  const written = JSON.parse(readFileSync(file, 'utf8')) as {
    measuredAt?: string;
    rows?: (BenchRow | LooseRow)[];
  };
  if (written.measuredAt === undefined || new Date(written.measuredAt) < since) return undefined;
  return written.rows ?? [];
}

/** BenchRows as they are; free-shaped rows by their usual keys (`baseline` may be the figure). */
function combine(bench: string, row: BenchRow | LooseRow): CombinedRow {
  if (isBenchRow(row))
    return {
      bench,
      measure: row.measure,
      unit: row.unit,
      ours: row.ours,
      baseline: row.baseline,
      baselineValue: row.baselineValue,
      ratio: row.ratio,
      aim: row.aim ?? '',
      ...(row.note === undefined ? {} : { note: row.note }),
      ...(row.rounds === undefined ? {} : { rounds: row.rounds }),
    };
  const figureBaseline = typeof row.baseline === 'number';
  return {
    bench,
    measure: String(row.measure ?? row.phase ?? ''),
    unit: '',
    ours: row.ours ?? '',
    baseline: figureBaseline ? 'see measure' : String(row.baseline ?? ''),
    baselineValue: figureBaseline ? (row.baseline as number) : (row.baselineValue ?? ''),
    ratio: row.ratio ?? '',
    aim: String(row.aim ?? ''),
  };
}

function formatDuration(seconds: number): string {
  const minutes = Math.floor(seconds / 60);
  return minutes > 0 ? `${minutes} min ${(seconds % 60).toFixed(0)} s` : `${seconds.toFixed(1)} s`;
}
