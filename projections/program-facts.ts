import {
  type AsKnownAt,
  type Fact,
  knownAt,
  specificationsAwaited,
  streamOwner,
} from '../src/domain/index.ts';
import type { ProjectionDefinition } from './definition.ts';
import { toFact } from './facts.ts';

/**
 * The per-program facts index: every program's events except shipments and checks (the status
 * does not depend on them; the shipments projection keeps the shipments), and every
 * specification's events, so `evaluate` can answer for any `at` and `asKnownAt`.
 */
export interface ProgramFactsIndex {
  programs: Map<string, Fact[]>;
  specifications: Map<string, Fact[]>;
}

export const programFacts: ProjectionDefinition<ProgramFactsIndex> = {
  name: 'program-facts',
  version: 1,
  initialState: () => ({ programs: new Map(), specifications: new Map() }),
  apply(state, event) {
    // Most of a ledger is shipments (and checks of them): leave them before any other work.
    if (event.type === 'ShipmentRecorded' || event.type === 'ShipmentChecked') return state;
    const owner = streamOwner(event.stream);
    if (!owner) return state;
    const fact = toFact(event);
    if (!fact) return state;
    const index = owner.kind === 'program' ? state.programs : state.specifications;
    const facts = index.get(owner.id);
    if (facts) facts.push(fact);
    else index.set(owner.id, [fact]);
    return state;
  },
  toJSON: (state) => ({
    programs: [...state.programs],
    specifications: [...state.specifications],
  }),
  fromJSON(json) {
    const { programs, specifications } = json as {
      programs: [string, Fact[]][];
      specifications: [string, Fact[]][];
    };
    return { programs: new Map(programs), specifications: new Map(specifications) };
  },
};

/** The facts `evaluate` needs for one program: its own and those of the specifications it names. */
export function factsOfProgram(index: ProgramFactsIndex, programId: string): Fact[] | null {
  const own = index.programs.get(programId);
  if (!own) return null;
  const related = specificationsAwaited(own).flatMap((s) => index.specifications.get(s) ?? []);
  return related.length === 0 ? own : [...own, ...related];
}

/** The index as known at `asKnownAt`: facts recorded later are left out (all, when absent). */
export function knownIndex(index: ProgramFactsIndex, asKnownAt?: AsKnownAt): ProgramFactsIndex {
  if (!asKnownAt) return index;
  const known = knownAt(asKnownAt);
  const cut = (m: Map<string, Fact[]>) =>
    new Map(
      [...m]
        .map(([id, facts]) => [id, facts.filter(known)] as const)
        .filter(([, facts]) => facts.length > 0),
    );
  return { programs: cut(index.programs), specifications: cut(index.specifications) };
}
