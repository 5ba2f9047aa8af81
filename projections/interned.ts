/**
 * One copy of a string that recurs: a read model that keeps a million events keeps their
 * streams, dates, customer references and record times, which repeat (a batch shares its
 * recordedAt, a program its stream), and each event read from a store brings fresh copies.
 * One interner per kind of string: consecutive events often repeat the last one, found without
 * hashing. Bounded: past LIMIT distinct strings it starts afresh, so unique ones cannot grow it.
 */
const LIMIT = 1 << 16;

export function interner(): (text: string) => string {
  let kept = new Map<string, string>();
  let last = '';
  return (text) => {
    if (text === last) return last;
    let known = kept.get(text);
    if (known === undefined) {
      if (kept.size >= LIMIT) kept = new Map();
      kept.set(text, text);
      known = text;
    }
    last = known;
    return known;
  };
}
