import type { ProgramFactsIndex } from '../../projections/program-facts.ts';
import { type Fact, type ProgramStatus, specificationsAwaited } from '../domain/index.ts';

/** The most answers kept; past it the oldest goes. One date for each of 10,000 programs fits. */
const CAPACITY = 10_000;

/** What an answer was computed from: the last position of each facts list `evaluate` read. */
interface Kept<A> {
  answer: A;
  ownLast: number;
  /** The specifications the program's notices name, with their last position then (0: none). */
  related: [specificationId: string, last: number][];
}

/** The question a status answer is for; asKnownAt already cut to a position (or none: now). */
export interface StatusQuestion {
  programId: string;
  at: string;
  knownAtPosition?: number;
  ledgerSize?: number;
}

const lastPosition = (facts: readonly Fact[] | undefined) => facts?.at(-1)?.position ?? 0;

/**
 * Answers computed from one program's facts (its status; what a check reads of it), kept per
 * (program, at, asKnownAt, ledgerSize), each with the last position of the
 * program's facts and of the specifications it depends on. An answer is served only while those
 * are unchanged: an append to the program, or to a specification its notices name, recomputes
 * it; appends anywhere else leave it standing. The facts lists only grow (projections append), so
 * an unchanged last position means unchanged facts.
 */
export function statusCache<A = ProgramStatus>() {
  const kept = new Map<string, Kept<A>>();

  const keyOf = (q: StatusQuestion) =>
    `${q.programId}\u0000${q.at}\u0000${q.knownAtPosition ?? ''}\u0000${q.ledgerSize ?? ''}`;

  /**
   * A ledger size at or past every fact the answer reads cuts nothing: the question is the one
   * without it. (The alert engine asks at its position, a new size on every event: each answer
   * kept under its own size was never asked again, and 10,000 of them stayed in memory.)
   */
  function cutsNothing(
    q: StatusQuestion,
    index: ProgramFactsIndex,
    own: readonly Fact[] | undefined,
  ) {
    if (q.ledgerSize === undefined || own === undefined) return false;
    const size = q.ledgerSize;
    return (
      lastPosition(own) <= size &&
      specificationsAwaited(own).every((s) => lastPosition(index.specifications.get(s)) <= size)
    );
  }

  function fresh(entry: Kept<A>, index: ProgramFactsIndex, programId: string): boolean {
    if (lastPosition(index.programs.get(programId)) !== entry.ownLast) return false;
    return entry.related.every(
      ([specificationId, last]) => lastPosition(index.specifications.get(specificationId)) === last,
    );
  }

  return {
    /** The kept answer when still fresh, else `compute()`'s, kept for next time. */
    answer(index: ProgramFactsIndex, question: StatusQuestion, compute: () => A | null): A | null {
      const own = index.programs.get(question.programId);
      const key = keyOf(
        cutsNothing(question, index, own) ? { ...question, ledgerSize: undefined } : question,
      );
      const entry = kept.get(key);
      if (entry && fresh(entry, index, question.programId)) return entry.answer;
      const answer = compute();
      if (answer === null || own === undefined) return answer;
      kept.delete(key);
      if (kept.size >= CAPACITY) kept.delete(kept.keys().next().value as string);
      kept.set(key, {
        answer,
        ownLast: lastPosition(own),
        related: specificationsAwaited(own).map((s) => [
          s,
          lastPosition(index.specifications.get(s)),
        ]),
      });
      return answer;
    },
  };
}
