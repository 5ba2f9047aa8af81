import type { CalendarDate } from './calendar.ts';
import { type BasisEntry, type ProgramStatus, statusOn } from './evaluate.ts';
import type { Fact } from './events.ts';
import type { LimitPeriod } from './limit.ts';
import {
  type CountingPeriod,
  countingPeriod,
  judges,
  type LimitInForce,
  limitsInForce,
  type Shipped,
  type Tally,
  tally,
} from './limits.ts';
import type { Rule, Status } from './status.ts';
import {
  type AsKnownAt,
  type AuthorizationPicture,
  type BasisRole,
  resolveAuthorization,
} from './windows.ts';

/** What the ledger knows of one program that a check reads (docs/design.md "Checks"). */
export interface ProgramKnowledge {
  picture: AuthorizationPicture;
  limits: LimitInForce[];
}

export const knowledgeOf = (facts: readonly Fact[], asKnownAt?: AsKnownAt): ProgramKnowledge => ({
  picture: resolveAuthorization(facts, asKnownAt),
  limits: limitsInForce(facts, asKnownAt),
});

/** One limit as it stands for one shipment: what was used in its period, what is left after it. */
export interface LimitUse {
  limitId: string;
  eventId: string;
  setBy: string;
  limit: number;
  per: LimitPeriod | 'authorization';
  customerRef?: string;
  destination?: string;
  period: CountingPeriod;
  /** Units counted in the period before this shipment. */
  used: number;
  /** Units left after this shipment; negative: by how much it goes over. */
  remaining: number;
}

export type CheckBasisEntry = Omit<BasisEntry, 'roles'> & { roles: (BasisRole | 'limits')[] };

/** What a shipment breaks: the authorization, or a limit (the tightest, when several). */
export type Breach =
  | { kind: 'outside-authorization'; status: Status; rule: Rule }
  | { kind: 'over-limit'; limit: LimitUse };

export interface ShipmentJudgment {
  decision: 'allowed' | 'blocked';
  breach: Breach | null;
  /** One sentence: why, naming the letters. */
  explanation: string;
  basis: CheckBasisEntry[];
  status: Status;
  rule: Rule;
  lastAuthorizedDay: CalendarDate | null;
  /** Every limit that judges the shipment, tightest first. */
  remaining: LimitUse[];
}

/**
 * The one place limits read the window resolution (src/domain/windows.ts): the status on the
 * day, and the authorization window the day falls in, which a limit without `per` counts over.
 */
function authorizationOn(picture: AuthorizationPicture, day: CalendarDate) {
  const status = statusOn(picture, day);
  const window =
    picture.windows.find((w) => w.from <= day && (w.until === null || day < w.until)) ?? null;
  return { status, window: window && { from: window.from, until: window.until } };
}

/**
 * Judges one shipment against what is known and the units already counted in `used`: allowed
 * when the day is authorized and every limit judging it still holds the units (docs/design.md
 * "Checks"). A check and a recorded shipment's violation are both this judgment.
 */
export function judgeShipment(
  knowledge: ProgramKnowledge,
  used: Tally,
  shipment: Shipped,
): ShipmentJudgment {
  const { status, window } = authorizationOn(knowledge.picture, shipment.shippedOn);
  const remaining: LimitUse[] = [];
  for (const limit of knowledge.limits) {
    if (!judges(limit, shipment)) continue;
    const period = countingPeriod(limit.per, shipment.shippedOn, window);
    if (!period) continue;
    const before = used.used(limit, period);
    remaining.push(limitUse(limit, period, before, limit.units - before - shipment.units));
  }
  remaining.sort((a, b) => a.remaining - b.remaining);
  const basis: CheckBasisEntry[] = status.basis.map((b) => ({ ...b, roles: [...b.roles] }));
  for (const use of remaining) {
    const letter = knowledge.limits.find((l) => l.limitId === use.limitId) as LimitInForce;
    const entry = basis.find((b) => b.eventId === letter.letter.eventId);
    if (entry) entry.roles.includes('limits') || entry.roles.push('limits');
    else
      basis.push({
        eventId: letter.letter.eventId,
        position: letter.letter.position,
        type: letter.letter.type,
        roles: ['limits'],
      });
  }
  basis.sort((a, b) => a.position - b.position);
  const tightest = remaining[0];
  const breach: Breach | null =
    status.status !== 'authorized'
      ? { kind: 'outside-authorization', status: status.status, rule: status.rule }
      : tightest && tightest.remaining < 0
        ? { kind: 'over-limit', limit: tightest }
        : null;
  return {
    decision: breach ? 'blocked' : 'allowed',
    breach,
    explanation: explain(status, shipment, remaining, breach),
    basis,
    status: status.status,
    rule: status.rule,
    lastAuthorizedDay: status.lastAuthorizedDay,
    remaining,
  };
}

function limitUse(
  limit: LimitInForce,
  period: CountingPeriod,
  used: number,
  remaining: number,
): LimitUse {
  return {
    limitId: limit.limitId,
    eventId: limit.letter.eventId,
    setBy: limit.setBy,
    limit: limit.units,
    per: limit.per ?? 'authorization',
    ...(limit.customerRef !== undefined && { customerRef: limit.customerRef }),
    ...(limit.destination !== undefined && { destination: limit.destination }),
    period,
    used,
    remaining,
  };
}

/**
 * Order lines checked in order against the shipments on record: an allowed line counts against
 * the limits for the lines after it (it will ship); a blocked one does not.
 */
export function checkLines(
  knowledge: ProgramKnowledge,
  onRecord: readonly Shipped[],
  lines: readonly Shipped[],
): ShipmentJudgment[] {
  const used = tally(knowledge.limits.length ? onRecord : []);
  return lines.map((line) => {
    const judgment = judgeShipment(knowledge, used, line);
    if (judgment.decision === 'allowed') used.add(line);
    return judgment;
  });
}

/**
 * Recorded shipments judged in record order, each against those recorded before it: every
 * recorded shipment counts (the goods went out), so one over a limit is a violation, and so
 * is every later one the limit cannot hold. A check of the same shipment, asked just before it
 * was recorded, gives the same decision.
 */
export function judgeRecorded(
  knowledge: ProgramKnowledge,
  inRecordOrder: readonly Shipped[],
): ShipmentJudgment[] {
  const used = tally([]);
  return inRecordOrder.map((s) => {
    const judgment = judgeShipment(knowledge, used, s);
    used.add(s);
    return judgment;
  });
}

/**
 * Whether a recorded shipment is a violation, and why (null when it is not): the program's
 * facts and its shipments as known, `shipment` among them. For alerts and the 201 of a
 * recorded shipment; `judgeRecorded` answers for many at once.
 */
export function violationOf(
  knowledge: ProgramKnowledge,
  recordedBefore: readonly Shipped[],
  shipment: Shipped,
): { breach: Breach; explanation: string } | null {
  const judgment = judgeShipment(knowledge, tally(recordedBefore), shipment);
  return judgment.breach && { breach: judgment.breach, explanation: judgment.explanation };
}

function explain(
  status: ProgramStatus,
  shipment: Shipped,
  remaining: LimitUse[],
  breach: Breach | null,
): string {
  const why = status.explanation.replace(/\.$/, '');
  if (breach?.kind === 'outside-authorization') return `Blocked: ${lowerFirst(why)}.`;
  if (breach?.kind === 'over-limit') {
    const l = breach.limit;
    return `Blocked: ${shipment.units} units shipped on ${shipment.shippedOn} would bring ${scope(l)} in the ${l.period.name} to ${l.used + shipment.units}, over the limit of ${l.limit} units ${perWords(l)} set by ${l.setBy} by ${-l.remaining}.`;
  }
  const tightest = remaining[0];
  if (!tightest) return `Allowed: ${lowerFirst(why)}.`;
  const others = remaining.length > 1 ? `the tightest of ${remaining.length} limits, ` : '';
  return `Allowed: ${lowerFirst(why)}; ${others}${tightest.limit} units ${perWords(tightest)}${scopeSuffix(tightest)} set by ${tightest.setBy}, leaves ${tightest.remaining} units in the ${tightest.period.name} after this shipment.`;
}

const perWords = (l: LimitUse) =>
  l.per === 'authorization' ? 'per authorization' : `per ${l.per}`;

const scopeSuffix = (l: LimitUse) =>
  `${l.customerRef !== undefined ? ` to customer ${l.customerRef}` : ''}${l.destination !== undefined ? ` to ${l.destination}` : ''}`;

const scope = (l: LimitUse) => `the units shipped${scopeSuffix(l)}`;

const lowerFirst = (s: string) => s.charAt(0).toLowerCase() + s.slice(1);
