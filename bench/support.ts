import { execFileSync, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * Runs `script` with `args` in a fresh Node process (so its peak RSS is its own) and parses the
 * JSON it prints last; with `timeoutMs`, kills it then (the error's code is ETIMEDOUT).
 */
export function measureInChild<T>(script: string | URL, args: string[], timeoutMs?: number): T {
  const file = script instanceof URL ? fileURLToPath(script) : script;
  const out = execFileSync(process.execPath, ['--import', 'tsx', file, ...args], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'inherit'],
    ...(timeoutMs === undefined ? {} : { timeout: timeoutMs, killSignal: 'SIGKILL' as const }),
  });
  return JSON.parse(out.trim().split('\n').at(-1) as string) as T;
}

export const peakRssBytes = () => process.resourceUsage().maxRSS * 1024;

/** What one phase run in its own process reports: the work done, its time, CPU and peak RSS. */
export interface Phase {
  events: number;
  ms: number;
  /** This process's CPU time (user + system, every thread) over the measured part. */
  cpuMicros: number;
  peakRss: number;
}

/** Times `work` (which returns how many events it did) by the clock and by this process's CPU. */
export async function timedPhase(work: () => number | Promise<number>): Promise<Phase> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  const events = await work();
  const ms = performance.now() - started;
  const { user, system } = process.cpuUsage(cpu);
  return { events, ms, cpuMicros: user + system, peakRss: peakRssBytes() };
}

/**
 * The sample for interleaved(): runs `script args` in a fresh process (measureInChild) and gives
 * its events per second and CPU time per event; `seen` collects the whole phase (peak RSS).
 */
export const phaseInChild = (script: URL, args: string[], seen: Phase[]) => (): Sample => {
  const phase = measureInChild<Phase>(script, args);
  seen.push(phase);
  return { value: perSecond(phase.events, phase.ms), cpuMicros: phase.cpuMicros / phase.events };
};

export const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;

export const perSecond = (count: number, ms: number) => Math.round((count / ms) * 1000);

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** A figure over the interleaved rounds: its median, least and greatest value. */
export interface Figure {
  median: number;
  min: number;
  max: number;
  /** (max - min) / median: how far the rounds disagree. */
  spread: number;
}

export function figure(values: readonly number[]): Figure {
  const m = median(values);
  const min = Math.min(...values);
  const max = Math.max(...values);
  const spread = m === 0 ? 0 : Number(((max - min) / m).toPrecision(3));
  return { median: tidy(m), min: tidy(min), max: tidy(max), spread };
}

/** Above this spread between rounds a figure is printed with a warning: the host was too noisy. */
export const SPREAD_WARNING = 0.1;

/** One side's measurement in one round: the figure, and the CPU time it cost per unit of work. */
export interface Sample {
  value: number;
  /** CPU time (user + system) of the measured process per event or request, in microseconds. */
  cpuMicros: number;
}

/**
 * Measures the baseline and ours alternately, ABAB…, `rounds` times, so drift of a shared,
 * noisy host (another process, the page cache, CPU frequency) falls on both sides alike.
 */
export async function interleaved(
  rounds: number,
  sides: { baseline: () => Sample | Promise<Sample>; ours: () => Sample | Promise<Sample> },
): Promise<{ baseline: Sample[]; ours: Sample[] }> {
  const measured = { baseline: [] as Sample[], ours: [] as Sample[] };
  for (let round = 0; round < rounds; round++) {
    measured.baseline.push(await sides.baseline());
    measured.ours.push(await sides.ours());
  }
  return measured;
}

/** CPU time (user + system) a process has used so far, in microseconds, from /proc (Linux). */
export function processCpuMicros(pid: number): number {
  // Fields after the command name, which is in parentheses and may hold spaces.
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks / CLOCK_TICKS) * 1e6;
}

/** Linux's USER_HZ, the unit of /proc/<pid>/stat times: 100 on every mainstream kernel. */
const CLOCK_TICKS = 100;

/**
 * One figure beside the baseline measured in the same run: the shape every bench reports, so
 * bench/run-all.ts can put them all in one table.
 */
export interface BenchRow {
  measure: string;
  /** Unit of `ours` and `baselineValue`, e.g. events/s, req/s, ms, MiB. */
  unit: string;
  ours: number;
  /** What the baseline is. */
  baseline: string;
  baselineValue: number;
  /** ours / baselineValue. */
  ratio: number;
  /** The target from the issue, when it sets one, e.g. ">= 0.60". */
  aim?: string;
  note?: string;
  /** For interleaved measures: the rounds behind the medians above. */
  rounds?: Rounds;
}

export interface Rounds {
  count: number;
  ours: Figure;
  baseline: Figure;
  /** Each round's ours / baseline, so a slow round of one side does not pair with a fast one. */
  ratio: Figure;
  /**
   * CPU microseconds per `cpuUnit` on each side, and each round's baseline / ours: the ratio
   * ours would reach were both sides held only by CPU, steadier than `ratio` on a busy host.
   */
  cpu: { unit: string; ours: Figure; baseline: Figure; ratio: Figure };
  /** Set when any of the figures spread more than SPREAD_WARNING between rounds. */
  warning?: string;
}

/**
 * A row from interleaved rounds: ours and the baseline as medians, the ratio as the median of
 * each round's ratio, with min–max of each and the CPU time per unit beside them.
 */
export function interleavedRow(
  measure: string,
  unit: string,
  measured: { baseline: Sample[]; ours: Sample[] },
  baseline: string,
  extra: { aim?: string; note?: string; cpuUnit: string },
): BenchRow {
  const ours = figure(measured.ours.map((s) => s.value));
  const base = figure(measured.baseline.map((s) => s.value));
  const ratio = figure(
    measured.ours.map((s, i) => s.value / (measured.baseline[i] as Sample).value),
  );
  const spread = Object.entries({ ours, baseline: base, ratio })
    .filter(([, f]) => f.spread > SPREAD_WARNING)
    .map(([name, f]) => `${name} ${(f.spread * 100).toFixed(0)}%`);
  const warning =
    spread.length === 0
      ? undefined
      : `spread over ${(SPREAD_WARNING * 100).toFixed(0)}% between rounds (${spread.join(', ')}): the host was noisy, do not trust this figure alone`;
  if (warning) console.warn(`WARNING ${measure}: ${warning}`);
  const { cpuUnit, ...rest } = extra;
  return {
    ...benchRow(measure, unit, ours.median, baseline, base.median, rest),
    ratio: Number(ratio.median.toPrecision(3)),
    rounds: {
      count: measured.ours.length,
      ours,
      baseline: base,
      ratio: { ...ratio, median: Number(ratio.median.toPrecision(3)) },
      cpu: {
        unit: cpuUnit,
        ours: figure(measured.ours.map((s) => s.cpuMicros)),
        baseline: figure(measured.baseline.map((s) => s.cpuMicros)),
        ratio: figure(
          measured.ours.map((s, i) => (measured.baseline[i] as Sample).cpuMicros / s.cpuMicros),
        ),
      },
      ...(warning === undefined ? {} : { warning }),
    },
  };
}

/** `median (min–max)`, how every interleaved figure is printed. */
export const formatFigure = (f: Figure) => `${f.median} (${f.min}–${f.max})`;

export function benchRow(
  measure: string,
  unit: string,
  ours: number,
  baseline: string,
  baselineValue: number,
  extra: { aim?: string; note?: string } = {},
): BenchRow {
  return {
    measure,
    unit,
    ours: tidy(ours),
    baseline,
    baselineValue: tidy(baselineValue),
    // Three significant digits: some ratios are far below 0.01 and must not print as 0.
    ratio: baselineValue === 0 ? Number.NaN : Number((ours / baselineValue).toPrecision(3)),
    ...extra,
  };
}

/** Rates are rounded to whole numbers; small figures (ms, ratios of seconds) keep two decimals. */
const tidy = (value: number) =>
  Math.abs(value) >= 100 ? Math.round(value) : Number(value.toFixed(2));

/** The free shape some benches still report (measure, ours, baseline, ratio, aim); run-all reads both. */
export type LooseRow = Record<string, string | number>;

export const isBenchRow = (row: BenchRow | LooseRow): row is BenchRow =>
  typeof row.unit === 'string' && typeof row.baselineValue === 'number';

/** Prints the rows and writes them, with `details`, to bench/results/<name>.json. */
export function report(
  name: string,
  rows: readonly BenchRow[] | readonly LooseRow[],
  details: Record<string, unknown> = {},
): void {
  console.table(rows.map((row) => (isBenchRow(row) ? printable(row) : row)));
  const folder = fileURLToPath(new URL('./results/', import.meta.url));
  mkdirSync(folder, { recursive: true });
  writeFileSync(
    `${folder}${name}.json`,
    `${JSON.stringify(
      {
        bench: name,
        measuredAt: new Date().toISOString(),
        ...machine(),
        rows,
        ...details,
      },
      null,
      2,
    )}\n`,
  );
}

/** A row as the tables print it: interleaved figures as median (min–max), CPU time beside them. */
export function printable(row: BenchRow): Record<string, string | number> {
  const r = row.rounds;
  return {
    measure: row.measure,
    ours: r ? `${formatFigure(r.ours)} ${row.unit}` : `${row.ours} ${row.unit}`,
    baseline: r
      ? `${formatFigure(r.baseline)} ${row.unit} (${row.baseline})`
      : `${row.baselineValue} ${row.unit} (${row.baseline})`,
    ratio: r ? formatFigure(r.ratio) : row.ratio,
    ...(r
      ? {
          cpu: `${formatFigure(r.cpu.ours)} vs ${formatFigure(r.cpu.baseline)} ${r.cpu.unit}`,
          'cpu ratio': formatFigure(r.cpu.ratio),
          rounds: r.count,
        }
      : {}),
    aim: row.aim ?? '',
    ...(row.note === undefined ? {} : { note: row.note }),
    ...(r?.warning === undefined ? {} : { warning: 'spread > 10%' }),
  };
}

/** What a figure was measured on, so figures from two machines or two commits are not compared. */
export function machine() {
  const git = (...args: string[]) =>
    execFileSync('git', args, {
      encoding: 'utf8',
      cwd: fileURLToPath(new URL('..', import.meta.url)),
    }).trim();
  return {
    machine: {
      cores: availableParallelism(),
      cpuModel: cpus()[0]?.model ?? 'unknown',
      node: process.version,
    },
    commit: git('rev-parse', 'HEAD'),
    /** Uncommitted changes were measured too. */
    dirty: git('status', '--porcelain', '--untracked-files=no') !== '',
  };
}

/**
 * The shipment every store bench appends, so their figures compare: equal data JSON and equal
 * writer metadata (the peer bench gives Emmett the same, without our event id).
 */
export function benchShipment() {
  return {
    eventId: randomUUID(),
    type: 'ShipmentRecorded',
    data: {
      programId: 'usps-cbu-1118e',
      shipmentId: randomUUID(),
      shippedOn: '2007-09-10',
      quantity: 48,
      destination: { customer: 'Private market distributor', state: 'NY', zip: '14701' },
      note: 'Cluster Box Units shipped under the four-month window after the 1118F TDP release.',
    },
    metadata: {
      recordedBy: 'bench',
      correlationId: randomUUID(),
      causationId: null,
      schemaVersion: 1,
    },
  };
}

/**
 * A peer store's packages, kept in bench/peers/<folder>/ with their own lockfile (their versions
 * differ from each other's and from the project's) and installed there with `npm ci` on first use.
 */
export async function loadPeer(folder: string, packages: readonly string[]): Promise<unknown[]> {
  const dir = fileURLToPath(new URL(`./peers/${folder}/`, import.meta.url));
  const entry = (pkg: string) => `${dir}node_modules/${pkg}/dist/index.js`;
  if (!packages.every((pkg) => existsSync(entry(pkg)))) {
    console.log(`installing the ${folder} peer in ${dir}`);
    const installed = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], {
      cwd: dir,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    if (installed.status !== 0) throw new Error(`npm ci of bench/peers/${folder} failed`);
  }
  return Promise.all(packages.map((pkg) => import(pathToFileURL(entry(pkg)).href)));
}
