/**
 * The last answer of a whole-ledger query, kept until the read models move past the position it
 * was computed at: a client paging through 100,000 violations pays for the list once, not once
 * per page, and every page of one walk reads the same list while nothing is appended.
 */
export function answerAtPosition<Args extends readonly (string | number)[], T>(
  position: () => number,
  compute: (...args: Args) => T,
): (...args: Args) => T {
  let kept: { at: number; args: string; answer: T } | undefined;
  return (...args) => {
    const at = position();
    const key = JSON.stringify(args);
    if (kept?.at !== at || kept.args !== key) kept = { at, args: key, answer: compute(...args) };
    return kept.answer;
  };
}
