import { Temporal } from 'temporal-polyfill';
import { addOffset, type CalendarDate, describeOffset } from './calendar.ts';
import type { EventData, Fact } from './events.ts';
import type { SunsetAfterTriggerTerm, SuspendsTerm } from './terms.ts';

/** Record time to answer as of: a global position, or a server instant (ISO 8601 with offset). */
export type AsKnownAt = { position: number } | { instant: string };

export interface EvaluateOptions {
  /** The valid date asked about. */
  at: CalendarDate;
  /** Drop every fact (and retraction) recorded later; absent means "as known now". */
  asKnownAt?: AsKnownAt;
}

export type Status =
  | 'not-authorized'
  | 'application-pending'
  | 'application-rejected'
  | 'authorized'
  | 'suspended'
  | 'expired'
  | 'revoked'
  | 'ended';

/** The rule that produced a status, so an auditor can follow it back to the letter. */
export type Rule =
  | 'program-unknown'
  | 'no-authorization'
  | 'before-authorization'
  | 'application-pending'
  | 'application-rejected'
  | 'authorized-by-notice'
  | 'authorized-by-license-approval'
  | 'authorized-as-continued-by-notice'
  | 'suspended-by-notice'
  | 'expired-by-sunset-after-trigger'
  | 'expired-by-ends-on'
  | 'revoked-by-notice'
  | 'ended-by-supplier';

export type BasisRole =
  | 'registers'
  | 'authorizes'
  | 'ends'
  | 'resolves-trigger'
  | 'awaits-trigger'
  | 'suspends'
  | 'application'
  | 'decision'
  | 'retracts';

export interface BasisEntry {
  eventId: string;
  position: number;
  type: string;
  /** What the event does for this answer; one event can both authorize and end. */
  roles: BasisRole[];
}

export interface PendingCondition {
  kind: 'sunset-after-trigger';
  noticeId: string;
  eventId: string;
  specificationId: string;
  trigger: 'tdp-public-release';
  offset: SunsetAfterTriggerTerm['offset'];
  description: string;
}

export interface ProgramStatus {
  at: CalendarDate;
  status: Status;
  rule: Rule;
  /** First authorized day; null when nothing authorizes the program. */
  authorizedFrom: CalendarDate | null;
  /** First day no longer authorized (half-open); null while open-ended. */
  until: CalendarDate | null;
  pendingConditions: PendingCondition[];
  basis: BasisEntry[];
  explanation: string;
}

type NoticeFact = Fact<{ type: 'NoticeReceived'; data: EventData<'NoticeReceived'> }>;
type TdpFact = Fact<{
  type: 'TechnicalDataPackageReleased';
  data: EventData<'TechnicalDataPackageReleased'>;
}>;
type DecisionFact = Fact<{
  type: 'LicenseApplicationDecided';
  data: EventData<'LicenseApplicationDecided'>;
}>;
type ApplicationFact = Fact<{
  type: 'LicenseApplicationSubmitted';
  data: EventData<'LicenseApplicationSubmitted'>;
}>;

interface AuthorizationStart {
  date: CalendarDate;
  rule:
    | 'authorized-by-notice'
    | 'authorized-by-license-approval'
    | 'authorized-as-continued-by-notice';
  fact: Fact;
  description: string;
}

interface AuthorizationEnd {
  date: CalendarDate;
  status: 'expired' | 'revoked' | 'ended';
  rule:
    | 'expired-by-sunset-after-trigger'
    | 'expired-by-ends-on'
    | 'revoked-by-notice'
    | 'ended-by-supplier';
  facts: { fact: Fact; role: BasisRole }[];
  description: string;
}

interface Suspension {
  from: CalendarDate;
  until: CalendarDate | null;
  fact: NoticeFact;
}

/**
 * Everything about one program that does not depend on the valid date asked about: resolve
 * once, then ask `statusOn` for as many dates as needed (timelines, shipment checks).
 */
export interface AuthorizationPicture {
  programId: string | null;
  start: AuthorizationStart | null;
  end: AuthorizationEnd | null;
  suspensions: Suspension[];
  pending: { condition: PendingCondition; fact: NoticeFact }[];
  applications: ApplicationFact[];
  decisions: Map<string, DecisionFact>;
  registration: Fact | null;
  /** Retractions in force: they explain why a fact no longer counts. */
  retractions: Fact[];
}

/** Among simultaneous ends, the regulator's act names the status before the supplier's own. */
const END_PRECEDENCE: Record<AuthorizationEnd['status'], number> = {
  revoked: 0,
  expired: 1,
  ended: 2,
};

export function evaluate(facts: readonly Fact[], options: EvaluateOptions): ProgramStatus {
  return statusOn(resolveAuthorization(facts, options.asKnownAt), options.at);
}

/**
 * Drops facts recorded after `asKnownAt`, then every retracted fact; `withdrawn` maps each
 * retraction in force to the fact it withdrew.
 */
export function knownFacts(
  facts: readonly Fact[],
  asKnownAt?: AsKnownAt,
): { active: Fact[]; withdrawn: Map<Fact, Fact> } {
  const known = asKnownAt ? facts.filter(knownAt(asKnownAt)) : [...facts];
  const retractions = new Map<string, Fact>();
  for (const f of known)
    if (f.type === 'EventRetracted') retractions.set(f.data.retractedEventId, f);
  const active: Fact[] = [];
  const withdrawn = new Map<Fact, Fact>();
  for (const f of known) {
    const retraction = retractions.get(f.eventId);
    if (retraction) withdrawn.set(retraction, f);
    else active.push(f);
  }
  return { active: active.sort((a, b) => a.position - b.position), withdrawn };
}

/** Whether something recorded at `position`/`recordedAt` is known at `asKnownAt`. */
export function knownAt(
  asKnownAt: AsKnownAt,
): (recorded: { position: number; recordedAt: string }) => boolean {
  if ('position' in asKnownAt) return (r) => r.position <= asKnownAt.position;
  const limit = Temporal.Instant.from(asKnownAt.instant).epochMilliseconds;
  return (r) => Date.parse(r.recordedAt) <= limit;
}

export function resolveAuthorization(
  facts: readonly Fact[],
  asKnownAt?: AsKnownAt,
): AuthorizationPicture {
  const { active, withdrawn } = knownFacts(facts, asKnownAt);
  const registration = active.find((f) => f.type === 'ProgramRegistered') ?? null;
  const notices = active.filter((f): f is NoticeFact => f.type === 'NoticeReceived');
  const superseded = new Set(notices.flatMap((n) => n.data.supersedes ?? []));
  const inForce = notices.filter((n) => !superseded.has(n.data.noticeId));
  const releases = publicReleasesBySpecification(active);
  const decisions = new Map<string, DecisionFact>();
  for (const f of active)
    if (f.type === 'LicenseApplicationDecided')
      decisions.set(f.data.applicationId, f as DecisionFact);

  const ends: AuthorizationEnd[] = [];
  const suspensions: Suspension[] = [];
  const pending: AuthorizationPicture['pending'] = [];
  const explicitStarts: AuthorizationStart[] = [];
  const continuedStarts: AuthorizationStart[] = [];

  for (const notice of inForce) {
    const { noticeId, receivedOn } = notice.data;
    for (const term of notice.data.terms) {
      switch (term.kind) {
        case 'authorizes':
          explicitStarts.push({
            date: term.from,
            rule: 'authorized-by-notice',
            fact: notice,
            description: `notice ${noticeId}`,
          });
          break;
        case 'sunset-after-trigger': {
          continuedStarts.push(continuedBy(notice));
          const release = releases.get(term.trigger.specificationId);
          if (release) ends.push(sunsetEnd(term, notice, release));
          else pending.push({ condition: pendingSunset(term, notice), fact: notice });
          break;
        }
        case 'ends-on':
          continuedStarts.push(continuedBy(notice));
          ends.push({
            date: term.effectiveOn,
            status: 'expired',
            rule: 'expired-by-ends-on',
            facts: [{ fact: notice, role: 'ends' }],
            description: `the end date set by notice ${noticeId} (received ${receivedOn})`,
          });
          break;
        case 'suspends':
          suspensions.push(suspension(term, notice));
          break;
        case 'revokes':
          ends.push({
            date: term.effectiveOn,
            status: 'revoked',
            rule: 'revoked-by-notice',
            facts: [{ fact: notice, role: 'ends' }],
            description: `the revocation in notice ${noticeId} (received ${receivedOn})`,
          });
          break;
      }
    }
  }
  for (const f of active) {
    if (f.type === 'ProgramEnded')
      ends.push({
        date: f.data.endedOn,
        status: 'ended',
        rule: 'ended-by-supplier',
        facts: [{ fact: f, role: 'ends' }],
        description: `the supplier's end of the program (${f.data.reason})`,
      });
  }
  const approvals: AuthorizationStart[] = [...decisions.values()]
    .filter((d) => d.data.decision === 'approved')
    .map((d) => ({
      date: d.data.decidedOn,
      rule: 'authorized-by-license-approval',
      fact: d,
      description: `the approval of license application ${d.data.applicationId}`,
    }));

  // A notice's own dates govern; an approval authorizes only where no notice says otherwise;
  // a notice that only bounds the end continues a supply it presumes, from its receipt.
  const start =
    earliestStart(explicitStarts) ?? earliestStart(approvals) ?? earliestStart(continuedStarts);
  const end = earliestEnd(ends);
  return {
    programId: registration?.type === 'ProgramRegistered' ? registration.data.programId : null,
    // An end on or before the start leaves no authorized day at all.
    start: start && end && end.date <= start.date ? null : start,
    end,
    suspensions,
    pending,
    applications: active.filter(
      (f): f is ApplicationFact => f.type === 'LicenseApplicationSubmitted',
    ),
    decisions,
    registration,
    retractions: [...withdrawn]
      .filter(([, target]) => bearsOnProgram(target, registration, inForce))
      .map(([retraction]) => retraction),
  };
}

/**
 * Whether a withdrawn fact would bear on this program's answer: one of its own events, or a
 * TDP release of a specification its notices in force wait for. A retraction elsewhere in the
 * ledger explains nothing here.
 */
function bearsOnProgram(target: Fact, registration: Fact | null, inForce: NoticeFact[]): boolean {
  if (target.type !== 'TechnicalDataPackageReleased') return target.stream === registration?.stream;
  return inForce.some((n) =>
    n.data.terms.some(
      (t) =>
        t.kind === 'sunset-after-trigger' &&
        t.trigger.specificationId === target.data.specificationId,
    ),
  );
}

function publicReleasesBySpecification(active: readonly Fact[]): Map<string, TdpFact> {
  const releases = new Map<string, TdpFact>();
  for (const f of active) {
    if (f.type !== 'TechnicalDataPackageReleased' || !f.data.publicRelease) continue;
    const current = releases.get(f.data.specificationId);
    if (!current || f.data.releasedOn < current.data.releasedOn)
      releases.set(f.data.specificationId, f as TdpFact);
  }
  return releases;
}

function continuedBy(notice: NoticeFact): AuthorizationStart {
  return {
    date: notice.data.receivedOn,
    rule: 'authorized-as-continued-by-notice',
    fact: notice,
    description: `notice ${notice.data.noticeId}, which continues the supply program`,
  };
}

function sunsetEnd(
  term: SunsetAfterTriggerTerm,
  notice: NoticeFact,
  release: TdpFact,
): AuthorizationEnd {
  const spec = term.trigger.specificationId;
  return {
    date: addOffset(release.data.releasedOn, term.offset),
    status: 'expired',
    rule: 'expired-by-sunset-after-trigger',
    facts: [
      { fact: notice, role: 'ends' },
      { fact: release, role: 'resolves-trigger' },
    ],
    description: `${describeOffset(term.offset)} after the ${spec} TDP public release of ${release.data.releasedOn} (notice ${notice.data.noticeId})`,
  };
}

function pendingSunset(term: SunsetAfterTriggerTerm, notice: NoticeFact): PendingCondition {
  const spec = term.trigger.specificationId;
  return {
    kind: 'sunset-after-trigger',
    noticeId: notice.data.noticeId,
    eventId: notice.eventId,
    specificationId: spec,
    trigger: term.trigger.event,
    offset: term.offset,
    description: `ends ${describeOffset(term.offset)} after the ${spec} TDP public release, not yet released`,
  };
}

function suspension(term: SuspendsTerm, notice: NoticeFact): Suspension {
  return { from: term.from, until: term.until ?? null, fact: notice };
}

function earliestStart(starts: AuthorizationStart[]): AuthorizationStart | null {
  let best: AuthorizationStart | null = null;
  for (const s of starts) if (!best || s.date < best.date) best = s;
  return best;
}

function earliestEnd(ends: AuthorizationEnd[]): AuthorizationEnd | null {
  let best: AuthorizationEnd | null = null;
  for (const e of ends) {
    if (
      !best ||
      e.date < best.date ||
      (e.date === best.date && END_PRECEDENCE[e.status] < END_PRECEDENCE[best.status])
    )
      best = e;
  }
  return best;
}

/** The status of a resolved program on one valid date. */
export function statusOn(picture: AuthorizationPicture, at: CalendarDate): ProgramStatus {
  const { start, end } = picture;
  const basis = new BasisBuilder();
  if (picture.registration) basis.add(picture.registration, 'registers');
  for (const { fact } of picture.pending) basis.add(fact, 'awaits-trigger');
  if (start) basis.add(start.fact, 'authorizes');
  if (end) for (const { fact, role } of end.facts) basis.add(fact, role);
  for (const r of picture.retractions) basis.add(r, 'retracts');

  const answer = (status: Status, rule: Rule, explanation: string): ProgramStatus => ({
    at,
    status,
    rule,
    authorizedFrom: start?.date ?? null,
    until: end?.date ?? null,
    pendingConditions: picture.pending.map((p) => p.condition),
    basis: basis.entries(),
    explanation,
  });

  if (!picture.registration)
    return answer(
      'not-authorized',
      'program-unknown',
      `No program is recorded under this id as of then.`,
    );
  if (end && at >= end.date)
    return answer(
      end.status,
      end.rule,
      `${capitalized(end.status)} on ${end.date}: ${end.description}.`,
    );
  if (start && at >= start.date) {
    const suspended = picture.suspensions.find(
      (s) => s.from <= at && (s.until === null || at < s.until),
    );
    if (suspended) {
      basis.add(suspended.fact, 'suspends');
      const until = suspended.until ? `until ${suspended.until}` : 'until further notice';
      return answer(
        'suspended',
        'suspended-by-notice',
        `Suspended from ${suspended.from} ${until} by notice ${suspended.fact.data.noticeId}.`,
      );
    }
    return answer('authorized', start.rule, authorizedSentence(picture, start));
  }
  return beforeAuthorization(picture, at, basis, answer);
}

function authorizedSentence(picture: AuthorizationPicture, start: AuthorizationStart): string {
  const since = `Authorized since ${start.date} by ${start.description}`;
  if (picture.end) return `${since}, until ${picture.end.date}: ${picture.end.description}.`;
  const pending = picture.pending.map((p) => p.condition.description);
  if (pending.length) return `${since}; it ${pending.join('; and ')}.`;
  return `${since}, with no end set.`;
}

function beforeAuthorization(
  picture: AuthorizationPicture,
  at: CalendarDate,
  basis: BasisBuilder,
  answer: (status: Status, rule: Rule, explanation: string) => ProgramStatus,
): ProgramStatus {
  const submitted = picture.applications
    .filter((a) => a.data.submittedOn <= at)
    .sort((a, b) => (a.data.submittedOn < b.data.submittedOn ? -1 : a.position - b.position));
  const latest = submitted.at(-1);
  if (latest) {
    basis.add(latest, 'application');
    const decision = picture.decisions.get(latest.data.applicationId);
    const id = latest.data.applicationId;
    if (decision && decision.data.decidedOn <= at) {
      basis.add(decision, 'decision');
      if (decision.data.decision === 'rejected') {
        const resubmission = decision.data.resubmissionAllowed
          ? 'resubmission allowed'
          : 'resubmission not allowed';
        return answer(
          'application-rejected',
          'application-rejected',
          `License application ${id} was rejected on ${decision.data.decidedOn} (${resubmission}).`,
        );
      }
    } else {
      return answer(
        'application-pending',
        'application-pending',
        `License application ${id}, submitted ${latest.data.submittedOn}, awaits a decision.`,
      );
    }
  }
  if (picture.start)
    return answer(
      'not-authorized',
      'before-authorization',
      `Not authorized yet: authorization starts on ${picture.start.date} by ${picture.start.description}.`,
    );
  return answer(
    'not-authorized',
    'no-authorization',
    'No notice or license decision authorizes this program.',
  );
}

const capitalized = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** Collects basis entries once each, reported in record order. */
class BasisBuilder {
  readonly #entries = new Map<string, BasisEntry>();
  add(fact: Fact, role: BasisRole): void {
    const entry = this.#entries.get(fact.eventId);
    if (!entry)
      this.#entries.set(fact.eventId, {
        eventId: fact.eventId,
        position: fact.position,
        type: fact.type,
        roles: [role],
      });
    else if (!entry.roles.includes(role)) entry.roles.push(role);
  }
  entries(): BasisEntry[] {
    return [...this.#entries.values()].sort((a, b) => a.position - b.position);
  }
}
