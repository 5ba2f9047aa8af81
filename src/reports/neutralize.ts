/**
 * User text made safe for the files an inspector opens: a spreadsheet never runs a cell as a
 * formula (OWASP "CSV injection": a leading = + - @ tab or CR gets a leading apostrophe), and a
 * Markdown viewer never renders raw HTML from a summary or a reason.
 */
const FORMULA_START = /^[=+\-@\t\r]/;

export const neutralizeFormula = (text: string): string =>
  FORMULA_START.test(text) ? `'${text}` : text;

export const escapeHtml = (text: unknown): string =>
  String(text ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A Markdown table cell: no formula, no HTML, no pipe or newline that would break the row. */
export const markdownCell = (value: unknown): string =>
  escapeHtml(neutralizeFormula(String(value ?? '')))
    .replaceAll('|', '\\|')
    .replace(/\r?\n|\r/g, ' ');

/** A CSV cell (csv-stringify quotes it): no formula. */
export const csvCell = (value: unknown): string => neutralizeFormula(String(value ?? ''));
