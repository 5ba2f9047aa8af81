/**
 * One copy of a string that recurs: a read model that keeps a million events keeps their
 * streams, dates, customer references and record times, which repeat (a batch shares its
 * recordedAt, a program its stream), and each event read from a store brings fresh copies.
 * Bounded: past LIMIT distinct strings it starts afresh, so unique ones cannot grow it.
 */
const LIMIT = 1 << 16;
let kept = new Map<string, string>();

export function interned(text: string): string {
  const known = kept.get(text);
  if (known !== undefined) return known;
  if (kept.size >= LIMIT) kept = new Map();
  kept.set(text, text);
  return text;
}
