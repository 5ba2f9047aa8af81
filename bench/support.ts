import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Runs `script` with `args` in a fresh Node process (so its peak RSS is its own) and parses the JSON it prints last. */
export function measureInChild<T>(script: string | URL, args: string[]): T {
  const file = script instanceof URL ? fileURLToPath(script) : script;
  const out = execFileSync(process.execPath, ['--import', 'tsx', file, ...args], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return JSON.parse(out.trim().split('\n').at(-1) as string) as T;
}

export const peakRssBytes = () => process.resourceUsage().maxRSS * 1024;

export const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;

export const perSecond = (count: number, ms: number) => Math.round((count / ms) * 1000);

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

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
}

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
  console.table(
    rows.map((row) =>
      isBenchRow(row)
        ? {
            measure: row.measure,
            ours: `${row.ours} ${row.unit}`,
            baseline: `${row.baselineValue} ${row.unit} (${row.baseline})`,
            ratio: row.ratio,
            aim: row.aim ?? '',
            ...(row.note === undefined ? {} : { note: row.note }),
          }
        : row,
    ),
  );
  const folder = fileURLToPath(new URL('./results/', import.meta.url));
  mkdirSync(folder, { recursive: true });
  writeFileSync(
    `${folder}${name}.json`,
    `${JSON.stringify(
      {
        bench: name,
        measuredAt: new Date().toISOString(),
        node: process.version,
        rows,
        ...details,
      },
      null,
      2,
    )}\n`,
  );
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
