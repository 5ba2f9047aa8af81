import {
  type Breach,
  type Fact,
  judgeRecorded,
  judgeShipment,
  knowledgeOf,
  type LimitUse,
  type ProgramKnowledge,
  type Rule,
  type ShipmentJudgment,
  type Status,
  tally,
} from '../src/domain/index.ts';
import { factsOfProgram, type ProgramFactsIndex } from './program-facts.ts';
import { type ShipmentEntry, type ShipmentsIndex, shipmentKnownAt } from './shipments.ts';

export interface ShipmentCheck {
  status: Status;
  rule: Rule;
  compliant: boolean;
  /** What the shipment breaks: the authorization, or the tightest limit it goes over. */
  breach: Breach | null;
  explanation: string;
  /** Every limit that judges the shipment: units used before it, left after it. */
  limits: LimitUse[];
}

export interface ShipmentViolation {
  programId: string;
  shipmentId: string;
  eventId: string;
  shippedOn: string;
  units: number;
  customerRef?: string;
  destination?: string;
  position: number;
  recordedAt: string;
  asKnownNow: ShipmentCheck;
  asKnownWhenRecorded: ShipmentCheck;
}

/**
 * Shipments made outside an authorization or over a limit (docs/design.md §5, "Limits on units shipped"): a
 * shipment is compliant when the status on its `shippedOn` is `authorized` and every limit
 * judging it holds its units after the shipments recorded before it. Each is judged twice: on
 * what is known now, and on what was known when the shipment was recorded. A shipment
 * violating either view is listed.
 */
export function violations(
  facts: ProgramFactsIndex,
  shipments: ShipmentsIndex,
  /** Only this program's shipments: a report on one program pays for its own, not the ledger's. */
  onlyProgram?: string,
): ShipmentViolation[] {
  const found: ShipmentViolation[] = [];
  const judged =
    onlyProgram === undefined
      ? shipments.byProgram
      : [[onlyProgram, shipments.byProgram.get(onlyProgram) ?? []] as const];
  for (const [programId, list] of judged) {
    const programFacts = factsOfProgram(facts, programId) ?? [];
    const live = list.filter((s) => s.retractedAt === null);
    const now = judgeRecorded(knowledgeOf(programFacts), live);
    const whenRecorded = knowledgeByPosition(programFacts);
    live.forEach((s, i) => {
      const asKnownNow = check(now[i] as ShipmentJudgment);
      const asKnownWhenRecorded = check(judgedWhenRecorded(whenRecorded(s.position), list, s));
      if (asKnownNow.compliant && asKnownWhenRecorded.compliant) return;
      found.push({
        programId,
        shipmentId: s.shipmentId,
        eventId: s.eventId,
        shippedOn: s.shippedOn,
        units: s.units,
        ...(s.customerRef !== undefined && { customerRef: s.customerRef }),
        ...(s.destination !== undefined && { destination: s.destination }),
        position: s.position,
        recordedAt: s.recordedAt,
        asKnownNow,
        asKnownWhenRecorded,
      });
    });
  }
  return found.sort((a, b) => a.position - b.position);
}

/** A shipment judged as known when it was recorded, against the shipments on record then. */
export function judgedWhenRecorded(
  knowledge: ProgramKnowledge,
  list: readonly ShipmentEntry[],
  s: ShipmentEntry,
): ShipmentJudgment {
  const before = knowledge.limits.length
    ? list.filter((e) => e.position < s.position && shipmentKnownAt(e, s.position))
    : [];
  return judgeShipment(knowledge, tally(before), s);
}

const check = (j: ShipmentJudgment): ShipmentCheck => ({
  status: j.status,
  rule: j.rule,
  compliant: j.decision === 'allowed',
  breach: j.breach,
  explanation: j.explanation,
  limits: j.remaining,
});

/**
 * What was known at any position, resolved once per distinct state of knowledge: thousands of
 * shipments share the few moments at which the program's facts changed.
 */
export function knowledgeByPosition(
  facts: readonly Fact[],
): (position: number) => ProgramKnowledge {
  const positions = facts.map((f) => f.position).sort((a, b) => a - b);
  const cache = new Map<number, ProgramKnowledge>();
  return (position) => {
    const known = countAtOrBelow(positions, position);
    let knowledge = cache.get(known);
    if (!knowledge) {
      knowledge = knowledgeOf(facts, { position });
      cache.set(known, knowledge);
    }
    return knowledge;
  };
}

function countAtOrBelow(sorted: number[], value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((sorted[mid] as number) <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
