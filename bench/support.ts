import { execFileSync } from 'node:child_process';
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

/** Prints a table and writes it as JSON under bench/results/. */
export function report(name: string, rows: Record<string, string | number>[]): void {
  console.table(rows);
  const folder = fileURLToPath(new URL('./results/', import.meta.url));
  mkdirSync(folder, { recursive: true });
  writeFileSync(
    `${folder}${name}.json`,
    `${JSON.stringify({ measuredAt: new Date().toISOString(), rows }, null, 2)}\n`,
  );
}
