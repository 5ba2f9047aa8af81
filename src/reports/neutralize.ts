/**
 * User text made safe for the files an inspector opens: a spreadsheet never runs a cell as a
 * formula (OWASP "CSV injection": a leading = + - @ tab or CR gets a leading apostrophe), a
 * Markdown viewer never renders raw HTML, a link or an image from a summary or a reason, and
 * no format carries a control or bidi character an older record may hold (refused at recording
 * since, src/domain/recordable.ts): each is shown as its code point, so a cell cannot be
 * visually reversed or cut.
 */
import { HIDDEN_CHARACTERS } from '../domain/index.ts';

const FORMULA_START = /^[=+\-@\t\r]/;
const HIDDEN = new RegExp(HIDDEN_CHARACTERS.source, 'gu');

/** Each hidden character as `<U+202E>`, visible and inert. */
export const showHidden = (text: string): string =>
  text.replace(
    HIDDEN,
    (c) => `<U+${(c.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}>`,
  );

export const neutralizeFormula = (text: string): string =>
  FORMULA_START.test(text) ? `'${text}` : text;

export const escapeHtml = (text: unknown): string =>
  showHidden(String(text ?? '')).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * A Markdown table cell: no formula, no HTML, no link or image (`[`, `]` and `!` escaped, so
 * `[x](javascript:…)` and `![](https://…)` stay text), no pipe or newline that would break the row.
 */
export const markdownCell = (value: unknown): string =>
  escapeHtml(neutralizeFormula(String(value ?? '')))
    .replace(/[[\]!\\|]/g, (c) => `\\${c}`)
    .replace(/\r?\n|\r/g, ' ');

/** A CSV cell (csv-stringify quotes it): no formula, no hidden character. */
export const csvCell = (value: unknown): string =>
  neutralizeFormula(showHidden(String(value ?? '')));
