import Table from 'cli-table3';
import { showHidden } from '../reports/neutralize.ts';

/** A human-readable table of rows (the default output); `--json` prints the rows as JSON instead. */
export function table(rows: readonly object[], columns?: string[]): string {
  if (rows.length === 0) return '(none)';
  const head = columns ?? Object.keys(rows[0] as object);
  const t = new Table({ head, style: { head: [], border: [] } });
  for (const row of rows) t.push(head.map((c) => cell((row as Record<string, unknown>)[c])));
  return t.toString();
}

/** A cell as text, a control or bidi character an older record holds shown as its code point. */
function cell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'object') return showHidden(JSON.stringify(value));
  return showHidden(String(value));
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
