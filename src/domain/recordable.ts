import type { z } from 'zod';

/**
 * Characters refused in anything recorded from now on (docs/design.md §4 "Text"): NUL and the
 * other C0 controls but tab and newline, and the bidi embeddings, overrides and isolates
 * (U+202A–U+202E, U+2066–U+2069), which can show a cell reversed. Older records may hold them;
 * every output neutralises them (src/reports/neutralize.ts).
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: these controls are what it finds
export const HIDDEN_CHARACTERS = /[\u0000-\u0008\u000B-\u001F\u202A-\u202E\u2066-\u2069]/u;

/**
 * Why a `documentRef` cannot be recorded, or null. A reference that names a file is a relative
 * path inside the documents folder ("/" between folders, no ".." segment, each segment at most
 * 255 bytes, what file systems allow); one that names no file ("8-K 2007-05-16 ex. 99.1") passes
 * as it is.
 */
export function documentRefProblem(ref: string): string | null {
  if (ref.startsWith('/') || ref.startsWith('\\'))
    return 'must be a path relative to the documents folder, not an absolute one';
  const segments = ref.split('/');
  if (segments.includes('..')) return 'must stay inside the documents folder: no ".." segment';
  if (segments.some((s) => new TextEncoder().encode(s).length > 255))
    return 'has a name longer than 255 bytes, which no file system holds';
  return null;
}

type Path = (string | number)[];

/** Every string in a command's data, with where it is. */
function* stringsOf(value: unknown, path: Path = []): Generator<[string, Path]> {
  if (typeof value === 'string') yield [value, path];
  else if (Array.isArray(value))
    for (const [i, item] of value.entries()) yield* stringsOf(item, [...path, i]);
  else if (typeof value === 'object' && value !== null)
    for (const [key, item] of Object.entries(value)) yield* stringsOf(item, [...path, key]);
}

/**
 * A command's payload schema as recorded from now on: its event's schema (which keeps accepting
 * what older ledgers hold) plus one shared refinement over every text field: no hidden
 * characters, and a `documentRef` that names a file stays inside the documents folder.
 */
export function recordable<T extends z.ZodObject>(schema: T): T {
  return schema.superRefine(
    (data, ctx) => {
      for (const [text, path] of stringsOf(data)) {
        if (HIDDEN_CHARACTERS.test(text))
          ctx.addIssue({
            code: 'custom',
            path,
            message:
              'has a control character (other than tab or newline) or a bidi control, which could hide or reverse text',
          });
        const problem = path.at(-1) === 'documentRef' ? documentRefProblem(text) : null;
        if (problem) ctx.addIssue({ code: 'custom', path, message: problem });
      }
      // Only on data the event's schema took: one issue per field, the schema's first.
    },
    { when: (payload) => payload.issues.length === 0 },
  ) as T;
}
