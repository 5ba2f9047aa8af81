import { Temporal } from 'temporal-polyfill';
import { z } from 'zod';

/** Whether Temporal reads `text` as an instant: it holds nanoseconds, so 9 fractional digits at most. */
function isInstant(text: string): boolean {
  try {
    Temporal.Instant.from(text);
    return true;
  } catch {
    return false;
  }
}

/** An instant: ISO 8601 with an offset, at most 9 fractional digits (docs/design.md §6). */
const Instant = z.iso.datetime({ offset: true }).refine(isInstant);

/**
 * `asKnownAt` as text, the one parser of the API query and the CLI's `--as-known-at`: a global
 * position (digits) or an instant (ISO 8601 with an offset), read as `AsKnownAt`.
 */
export const AsKnownAtText = z
  // The union holds plain strings and the transform comes after it: a transform inside a
  // union branch leaves the OpenAPI document with an empty (unsatisfiable) `anyOf`.
  .union([z.string().regex(/^\d{1,15}$/), Instant], {
    error:
      'must be a position (digits) or an instant (ISO 8601 with an offset, at most 9 fractional digits)',
  })
  .transform((value) => (/^\d+$/.test(value) ? { position: Number(value) } : { instant: value }));
