import { showHidden } from '../reports/neutralize.ts';

/**
 * How many rows a table shows: all of them with `--all` or when the output goes to a file or a
 * pipe; on a terminal, a screenful, then the count and how to get every row.
 */
let rowLimit = Number.POSITIVE_INFINITY;

/** Called once the arguments are read: `all` is `--all`. */
export function limitTableRows(all: boolean): void {
  const terminal = process.stdout.isTTY === true;
  rowLimit =
    all || !terminal ? Number.POSITIVE_INFINITY : Math.max(5, (process.stdout.rows ?? 24) - 6);
}

/**
 * A human-readable table of rows (the default output); `--json` prints the rows as JSON instead.
 * Rendered in one pass over the cells (widths, then lines), so 100,000 rows cost what their text
 * costs.
 */
export function table(
  rows: readonly object[],
  columns?: string[],
  limit: number = rowLimit,
): string {
  if (rows.length === 0) return '(none)';
  const head = columns ?? Object.keys(rows[0] as object);
  const shown = rows.slice(0, limit);
  const cells = shown.map((row) => head.map((c) => cell((row as Record<string, unknown>)[c])));
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]?.length ?? 0)));
  const line = (values: readonly string[]) =>
    `│ ${values.map((v, i) => v.padEnd(widths[i] ?? 0)).join(' │ ')} │`;
  const rule = (left: string, middle: string, right: string) =>
    `${left}${widths.map((w) => '─'.repeat(w + 2)).join(middle)}${right}`;
  const lines = [rule('┌', '┬', '┐'), line(head), rule('├', '┼', '┤')];
  for (const values of cells) lines.push(line(values));
  lines.push(rule('└', '┴', '┘'));
  if (shown.length < rows.length)
    lines.push(
      `showing ${shown.length} of ${rows.length} rows; every row with --all, as JSON with --json, or redirected to a file`,
    );
  return lines.join('\n');
}

/** A cell as one line of text, a control or bidi character an older record holds shown as its code point. */
function cell(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = typeof value === 'object' ? JSON.stringify(value) : String(value);
  return showHidden(text).replace(/\r?\n|\r/g, ' ');
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
