import {
  type AuthorizationPicture,
  type Fact,
  type Rule,
  resolveAuthorization,
  type Status,
  statusOn,
} from '../src/domain/index.ts';
import { factsOfProgram, type ProgramFactsIndex } from './program-facts.ts';
import type { ShipmentEntry, ShipmentsIndex } from './shipments.ts';

export interface ShipmentCheck {
  status: Status;
  rule: Rule;
  compliant: boolean;
}

export interface ShipmentViolation {
  programId: string;
  shipmentId: string;
  eventId: string;
  shippedOn: string;
  units: number;
  position: number;
  recordedAt: string;
  asKnownNow: ShipmentCheck;
  asKnownWhenRecorded: ShipmentCheck;
}

/**
 * Shipments made outside an authorization (docs/design.md §5): a shipment is compliant when the status
 * on its `shippedOn` is `authorized`. Each is judged twice: on what is known now, and on what
 * was known when the shipment was recorded. A shipment violating either view is listed.
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
    const now = resolveAuthorization(programFacts);
    const whenRecorded = picturesByKnowledge(programFacts);
    for (const s of list) {
      if (s.retractedAt !== null) continue;
      const asKnownNow = check(now, s);
      const asKnownWhenRecorded = check(whenRecorded(s.position), s);
      if (asKnownNow.compliant && asKnownWhenRecorded.compliant) continue;
      found.push({
        programId,
        shipmentId: s.shipmentId,
        eventId: s.eventId,
        shippedOn: s.shippedOn,
        units: s.units,
        position: s.position,
        recordedAt: s.recordedAt,
        asKnownNow,
        asKnownWhenRecorded,
      });
    }
  }
  return found.sort((a, b) => a.position - b.position);
}

function check(picture: AuthorizationPicture, s: ShipmentEntry): ShipmentCheck {
  const { status, rule } = statusOn(picture, s.shippedOn);
  return { status, rule, compliant: status === 'authorized' };
}

/**
 * The picture as known at any position, resolved once per distinct state of knowledge:
 * thousands of shipments share the few moments at which the program's facts changed.
 */
function picturesByKnowledge(facts: readonly Fact[]): (position: number) => AuthorizationPicture {
  const positions = facts.map((f) => f.position).sort((a, b) => a - b);
  const cache = new Map<number, AuthorizationPicture>();
  return (position) => {
    const known = countAtOrBelow(positions, position);
    let picture = cache.get(known);
    if (!picture) {
      picture = resolveAuthorization(facts, { position });
      cache.set(known, picture);
    }
    return picture;
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
