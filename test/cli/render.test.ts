/** Issue 28, item 10: CLI tables render in one pass and show a screenful on a terminal. */
import { describe, expect, it } from 'vitest';
import { table } from '../../src/cli/render.ts';

const rows = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ position: i + 1, programId: `p-${i % 97}`, units: i }));

describe('CLI tables', () => {
  it('show every row unless limited, one line each, columns aligned', () => {
    const text = table(rows(3), ['position', 'programId', 'units']);
    const lines = text.split('\n');
    expect(lines).toHaveLength(3 + 4);
    expect(lines[1]).toBe('│ position │ programId │ units │');
    expect(lines[3]).toBe('│ 1        │ p-0       │ 0     │');
    expect(new Set(lines.map((l) => l.length)).size).toBe(1);
  });

  it('a limited table shows that many rows, the count and how to get all', () => {
    const text = table(rows(99_000), undefined, 20);
    const lines = text.split('\n');
    expect(lines).toHaveLength(20 + 4 + 1);
    expect(lines.at(-1)).toBe(
      'showing 20 of 99000 rows; every row with --all, as JSON with --json, or redirected to a file',
    );
  });

  it('renders 99,000 rows in full (one pass: this took minutes with the old renderer)', () => {
    const text = table(rows(99_000));
    expect(text.split('\n')).toHaveLength(99_000 + 4);
  });

  it('a newline or a bidi control in a cell stays inside its row', () => {
    const text = table([{ summary: 'one\ntwo \u202Eevil' }]);
    expect(text.split('\n')).toHaveLength(1 + 4);
    expect(text).toContain('one two <U+202E>evil');
  });
});
