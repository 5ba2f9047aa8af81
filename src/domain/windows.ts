import { Temporal } from 'temporal-polyfill';
import {
  addDays,
  addOffset,
  type CalendarDate,
  describeOffset,
  earliest as earliestDate,
  LAST_DATE,
  passesLastDate,
} from './calendar.ts';
import type { EventData, Fact } from './events.ts';
import { specificationsAwaited } from './references.ts';
import type { Rule, Status } from './status.ts';
import type { SunsetAfterTriggerTerm, Term } from './terms.ts';

/** Record time to answer as of: a global position, or a server instant (ISO 8601 with offset). */
export type AsKnownAt = { position: number } | { instant: string };

export type BasisRole =
  | 'registers'
  | 'authorizes'
  | 'ends'
  | 'resolves-trigger'
  | 'awaits-trigger'
  | 'suspends'
  | 'application'
  | 'decision'
  | 'lifts'
  | 'retracts';

export interface PendingCondition {
  kind: 'sunset-after-trigger';
  noticeId: string;
  eventId: string;
  specificationId: string;
  trigger: 'tdp-public-release';
  offset: SunsetAfterTriggerTerm['offset'];
  description: string;
}

export type NoticeFact = Fact<{ type: 'NoticeReceived'; data: EventData<'NoticeReceived'> }>;
type TdpFact = Fact<{
  type: 'TechnicalDataPackageReleased';
  data: EventData<'TechnicalDataPackageReleased'>;
}>;
export type DecisionFact = Fact<{
  type: 'LicenseApplicationDecided';
  data: EventData<'LicenseApplicationDecided'>;
}>;
export type ApplicationFact = Fact<{
  type: 'LicenseApplicationSubmitted';
  data: EventData<'LicenseApplicationSubmitted'>;
}>;

/**
 * The order letters were written in (docs/design.md §5.1): the letter's own date (a notice's
 * `receivedOn`, a decision's `decidedOn`, an end's `endedOn`), then record order on one day.
 */
export interface LetterOrder {
  date: CalendarDate;
  position: number;
}

/** Whether letter `a` was written after letter `b`. */
export const writtenAfter = (a: LetterOrder, b: LetterOrder): boolean =>
  a.date > b.date || (a.date === b.date && a.position > b.position);

const letterOf = (date: CalendarDate, fact: Fact): LetterOrder => ({
  date,
  position: fact.position,
});

export interface AuthorizationStart {
  date: CalendarDate;
  rule: Extract<
    Rule,
    'authorized-by-notice' | 'authorized-by-license-approval' | 'authorized-as-continued-by-notice'
  >;
  fact: Fact;
  letter: LetterOrder;
  description: string;
}

export type EndStatus = Extract<Status, 'expired' | 'revoked' | 'ended'>;

export interface AuthorizationEnd {
  date: CalendarDate;
  status: EndStatus;
  rule: Extract<
    Rule,
    | 'expired-by-sunset-after-trigger'
    | 'expired-by-ends-on'
    | 'revoked-by-notice'
    | 'ended-by-supplier'
  >;
  facts: { fact: Fact; role: BasisRole }[];
  letter: LetterOrder;
  /** The supplier's own end: it ends every start, whenever written. */
  final: boolean;
  description: string;
}

export interface Suspension {
  from: CalendarDate;
  /** First day supply is allowed again; null until further notice. */
  until: CalendarDate | null;
  fact: NoticeFact;
  /** The end the suspending letter itself wrote (null: until further notice). */
  written: CalendarDate | null;
  /** The superseding letter that lifts the suspension on `until`, when it is not the letter's own. */
  liftedBy: NoticeFact | null;
}

/**
 * One stretch of valid time the program is authorized in, half-open `[from, until)`, with every
 * start dated `from` (`opens`), every end dated `until` (`ends`) and the suspensions inside it.
 */
export interface AuthorizationWindow {
  from: CalendarDate;
  opens: AuthorizationStart[];
  until: CalendarDate | null;
  ends: AuthorizationEnd[];
  suspensions: Suspension[];
}

/** An open sunset, with the first date it no longer bears on (a superseding letter's effective date). */
export interface PendingSunset {
  condition: PendingCondition;
  fact: NoticeFact;
  before: CalendarDate | null;
}

/**
 * Everything about one program that does not depend on the valid date asked about: resolve
 * once, then ask `statusOn` for as many dates as needed (timelines, deadlines, shipment checks).
 * Status, timeline, deadlines and violations all read this one resolution.
 */
export interface AuthorizationPicture {
  programId: string | null;
  registration: Fact | null;
  /** Disjoint and ordered by date. */
  windows: AuthorizationWindow[];
  /** Every start in force, including those that open no window (ended before they begin). */
  starts: AuthorizationStart[];
  /** Every end in force: `endsOf` tells which of them end a given start. */
  ends: AuthorizationEnd[];
  /** The supplier's end of the program: final, no later start opens a window. */
  finalEnd: AuthorizationEnd | null;
  pending: PendingSunset[];
  applications: ApplicationFact[];
  decisions: Map<string, DecisionFact>;
  /** Retractions in force of facts the status reads: they explain why a fact no longer counts. */
  retractions: Fact[];
}

/** Among simultaneous ends, the regulator's act names the status before the supplier's own. */
export const END_PRECEDENCE: Record<EndStatus, number> = { revoked: 0, expired: 1, ended: 2 };

export const byPrecedence = (a: AuthorizationEnd, b: AuthorizationEnd): number =>
  a.date < b.date ? -1 : a.date > b.date ? 1 : END_PRECEDENCE[a.status] - END_PRECEDENCE[b.status];

/**
 * Whether an end ends a start (docs/design.md §5.1): an end dated after the start always does;
 * an end dated on or before it only when written after the start's letter (a later letter ends,
 * from its date on, what earlier letters opened), or when it is the supplier's own end.
 */
export const endsStart = (end: AuthorizationEnd, start: AuthorizationStart): boolean =>
  end.final || end.date > start.date || writtenAfter(end.letter, start.letter);

/** The ends that end `start`, earliest first (on one day: revoked, expired, ended). */
export const endsOf = (picture: Pick<AuthorizationPicture, 'ends'>, start: AuthorizationStart) =>
  picture.ends.filter((e) => endsStart(e, start)).sort(byPrecedence);

/** The window covering `date`, if any: which letters authorize it, from when and until when. */
export function windowOn(
  picture: Pick<AuthorizationPicture, 'windows'>,
  date: CalendarDate,
): AuthorizationWindow | null {
  return (
    picture.windows.find((w) => w.from <= date && (w.until === null || date < w.until)) ?? null
  );
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

/** The valid date a notice takes effect on: its explicit `effectiveOn`, else its receipt. */
export const noticeEffectiveOn = (notice: EventData<'NoticeReceived'>): CalendarDate =>
  notice.effectiveOn ?? notice.receivedOn;

/** Where a superseding letter cuts a superseded one: its effective date, and the letter. */
interface Cut {
  date: CalendarDate;
  by: NoticeFact;
}

export function resolveAuthorization(
  facts: readonly Fact[],
  asKnownAt?: AsKnownAt,
): AuthorizationPicture {
  const { active, withdrawn } = knownFacts(facts, asKnownAt);
  const registration = active.find((f) => f.type === 'ProgramRegistered') ?? null;
  const notices = active.filter((f): f is NoticeFact => f.type === 'NoticeReceived');
  const cuts = supersessionCuts(notices);
  const releases = publicReleasesBySpecification(active);
  const decisions = new Map<string, DecisionFact>();
  for (const f of active)
    if (f.type === 'LicenseApplicationDecided')
      decisions.set(f.data.applicationId, f as DecisionFact);
  const applications = active.filter(
    (f): f is ApplicationFact => f.type === 'LicenseApplicationSubmitted',
  );

  const starts: AuthorizationStart[] = [];
  const allEnds: AuthorizationEnd[] = [];
  const suspensions: Suspension[] = [];
  const pending: PendingSunset[] = [];
  const continuations: AuthorizationStart[] = [];
  for (const notice of notices) {
    const read = readNotice(notice, releases, cuts.get(notice.data.noticeId) ?? null);
    starts.push(...read.starts);
    allEnds.push(...read.ends);
    suspensions.push(...read.suspensions);
    pending.push(...read.pending);
    if (read.continuation) continuations.push(read.continuation);
  }
  for (const d of decisions.values())
    if (d.data.decision === 'approved')
      starts.push({
        date: d.data.decidedOn,
        rule: 'authorized-by-license-approval',
        fact: d,
        letter: letterOf(d.data.decidedOn, d),
        description: `the approval of license application ${d.data.applicationId}`,
      });
  const programEnds: AuthorizationEnd[] = active
    .filter((f) => f.type === 'ProgramEnded')
    .map((f) => ({
      date: f.data.endedOn,
      status: 'ended',
      rule: 'ended-by-supplier',
      facts: [{ fact: f, role: 'ends' }],
      letter: letterOf(f.data.endedOn, f),
      final: true,
      description: `the supplier ended the program, giving the reason "${f.data.reason}"`,
    }));
  allEnds.push(...programEnds);
  const sources = {
    notices: notices.filter((n) => n.data.terms.some((t) => t.kind === 'authorizes')),
    decisions: [...decisions.values()].filter((d) => d.data.decision === 'approved'),
    applications,
  };
  starts.push(...acceptedContinuations(continuations, starts, allEnds, sources));
  const sortedStarts = starts.sort((a, b) =>
    a.date < b.date ? -1 : a.date > b.date ? 1 : a.fact.position - b.fact.position,
  );
  return {
    programId: registration?.type === 'ProgramRegistered' ? registration.data.programId : null,
    registration,
    windows: buildWindows(sortedStarts, allEnds, suspensions),
    starts: sortedStarts,
    ends: allEnds,
    finalEnd: [...programEnds].sort(byPrecedence)[0] ?? null,
    pending,
    applications,
    decisions,
    retractions: [...withdrawn]
      .filter(([, target]) => bearsOnStatus(target, registration, notices))
      .map(([retraction]) => retraction),
  };
}

/**
 * Continuation notices (end-bounding terms, no start) in order of their effective date E: each
 * continues supply from E only when the program is authorized on E, or when nothing the ledger
 * holds dated on or before E could have authorized it (supply that predates the ledger).
 */
function acceptedContinuations(
  candidates: AuthorizationStart[],
  starts: AuthorizationStart[],
  allEnds: AuthorizationEnd[],
  sources: { notices: NoticeFact[]; decisions: DecisionFact[]; applications: ApplicationFact[] },
): AuthorizationStart[] {
  const accepted: AuthorizationStart[] = [];
  const ordered = [...candidates].sort((a, b) =>
    a.date < b.date ? -1 : a.date > b.date ? 1 : a.fact.position - b.fact.position,
  );
  for (const c of ordered) {
    const noSource =
      accepted.length === 0 &&
      !sources.notices.some((n) => n.data.receivedOn <= c.date) &&
      !sources.decisions.some((d) => d.data.decidedOn <= c.date) &&
      !sources.applications.some((a) => a.data.submittedOn <= c.date);
    const authorized =
      !noSource &&
      windowOn({ windows: buildWindows([...starts, ...accepted], allEnds, []) }, c.date);
    if (noSource || authorized) accepted.push(c);
  }
  return accepted;
}

/** For each superseded notice, the earliest effective date of a notice superseding it. */
function supersessionCuts(notices: NoticeFact[]): Map<string, Cut> {
  const cuts = new Map<string, Cut>();
  for (const n of notices)
    for (const superseded of n.data.supersedes ?? []) {
      const date = noticeEffectiveOn(n.data);
      const current = cuts.get(superseded);
      if (!current || date < current.date) cuts.set(superseded, { date, by: n });
    }
  return cuts;
}

/**
 * A notice's starts, ends, suspensions and pending conditions as written, less what a
 * superseding letter cuts: the superseded notice governs only the dates before the cut.
 */
function readNotice(
  notice: NoticeFact,
  releases: Map<string, TdpFact>,
  cut: Cut | null,
): {
  starts: AuthorizationStart[];
  ends: AuthorizationEnd[];
  suspensions: Suspension[];
  pending: PendingSunset[];
  continuation: AuthorizationStart | null;
} {
  const { noticeId, receivedOn, terms } = notice.data;
  const letter = letterOf(receivedOn, notice);
  const holds = (date: CalendarDate) => cut === null || date < cut.date;
  const starts: AuthorizationStart[] = [];
  const ends: AuthorizationEnd[] = [];
  const suspensions: Suspension[] = [];
  const pending: PendingSunset[] = [];
  const endingDates: CalendarDate[] = [];
  const end = (e: Omit<AuthorizationEnd, 'letter' | 'final'>) =>
    ends.push({ ...e, letter, final: false });
  for (const term of terms) {
    switch (term.kind) {
      case 'authorizes':
        starts.push({
          date: term.from,
          rule: 'authorized-by-notice',
          fact: notice,
          letter,
          description: `notice ${noticeId}`,
        });
        break;
      case 'sunset-after-trigger': {
        const release = releases.get(term.trigger.specificationId);
        if (release) {
          const sunset = sunsetEnd(term, notice, release);
          endingDates.push(sunset.date);
          end(sunset);
        } else {
          endingDates.push(LAST_DATE);
          pending.push({
            condition: pendingSunset(term, notice),
            fact: notice,
            before: cut?.date ?? null,
          });
        }
        break;
      }
      case 'ends-on':
        endingDates.push(term.effectiveOn);
        end({
          date: term.effectiveOn,
          status: 'expired',
          rule: 'expired-by-ends-on',
          facts: [{ fact: notice, role: 'ends' }],
          description: `the end date set by notice ${noticeId} (received ${receivedOn})`,
        });
        break;
      case 'last-authorized-day': {
        const after = addDays(term.date, 1);
        endingDates.push(after);
        end({
          date: after,
          status: 'expired',
          rule: 'expired-by-ends-on',
          facts: [{ fact: notice, role: 'ends' }],
          description: `the last authorized day ${term.date} set by notice ${noticeId} (received ${receivedOn})`,
        });
        break;
      }
      case 'revokes':
        end({
          date: term.effectiveOn,
          status: 'revoked',
          rule: 'revoked-by-notice',
          facts: [{ fact: notice, role: 'ends' }],
          description: `the revocation in notice ${noticeId} (received ${receivedOn})`,
        });
        break;
      case 'suspends': {
        const written = term.until ?? null;
        const lifted = cut !== null && (written === null || cut.date < written);
        const until = lifted ? cut.date : written;
        if (until === null || term.from < until)
          suspensions.push({
            from: term.from,
            until,
            fact: notice,
            written,
            liftedBy: lifted ? cut.by : null,
          });
        break;
      }
    }
  }
  const continuation = continuationStart(notice, terms, endingDates);
  return {
    starts: starts.filter((s) => holds(s.date)),
    ends: ends.filter((e) => holds(e.date)),
    suspensions: suspensions.filter((s) => holds(s.from)),
    pending,
    continuation: continuation && holds(continuation.date) ? continuation : null,
  };
}

/**
 * A notice with only end-bounding terms (a sunset or an end date) may continue a supply it
 * presumes, from the day it takes effect, as long as its own end is still ahead then
 * (`acceptedContinuations` decides whether it does).
 */
function continuationStart(
  notice: NoticeFact,
  terms: readonly Term[],
  endingDates: CalendarDate[],
): AuthorizationStart | null {
  if (terms.some((t) => t.kind === 'authorizes') || endingDates.length === 0) return null;
  const date = noticeEffectiveOn(notice.data);
  if (endingDates.every((end) => end <= date)) return null;
  return {
    date,
    rule: 'authorized-as-continued-by-notice',
    fact: notice,
    letter: letterOf(notice.data.receivedOn, notice),
    description: `notice ${notice.data.noticeId}, which continues the supply program`,
  };
}

/** A start's span `[date, until)`: until the earliest end that ends it; empty when that is on or before its date. */
interface Span {
  start: AuthorizationStart;
  until: CalendarDate | null;
}

/**
 * Windows over valid time: each start authorizes from its date until the earliest end that
 * ends it (`ends`); overlapping spans make one window, a span beginning on another's end opens
 * the next. The window ends with the end(s) dated on its `until` that end its starts.
 */
function buildWindows(
  starts: AuthorizationStart[],
  allEnds: AuthorizationEnd[],
  suspensions: Suspension[],
): AuthorizationWindow[] {
  const spans: Span[] = starts
    .map((start) => ({
      start,
      until: earliestDate(allEnds.filter((e) => endsStart(e, start)).map((e) => e.date)),
    }))
    .filter((s) => s.until === null || s.start.date < s.until)
    .sort((a, b) => (a.start.date < b.start.date ? -1 : a.start.date > b.start.date ? 1 : 0));
  const groups: { from: CalendarDate; until: CalendarDate | null; spans: Span[] }[] = [];
  for (const span of spans) {
    const last = groups.at(-1);
    if (last && (last.until === null || span.start.date < last.until)) {
      last.spans.push(span);
      if (span.until === null || (last.until !== null && span.until > last.until))
        last.until = span.until;
    } else groups.push({ from: span.start.date, until: span.until, spans: [span] });
  }
  return groups.map(({ from, until, spans: members }) => {
    const closing = new Set<AuthorizationEnd>();
    for (const { start, until: spanUntil } of members)
      if (spanUntil !== null && spanUntil === until)
        for (const e of allEnds) if (e.date === until && endsStart(e, start)) closing.add(e);
    return {
      from,
      opens: members.filter((s) => s.start.date === from).map((s) => s.start),
      until,
      ends: [...closing].sort(byPrecedence),
      suspensions: suspensions.filter(
        (s) => (until === null || s.from < until) && (s.until === null || s.until > from),
      ),
    };
  });
}

/**
 * Whether a withdrawn fact bears on this program's status: one of its own events other than a
 * shipment, or a TDP release of a specification its notices wait for.
 */
function bearsOnStatus(target: Fact, registration: Fact | null, notices: NoticeFact[]): boolean {
  if (target.type === 'ShipmentRecorded') return false;
  if (target.type !== 'TechnicalDataPackageReleased') return target.stream === registration?.stream;
  return specificationsAwaited(notices).includes(target.data.specificationId);
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

function sunsetEnd(
  term: SunsetAfterTriggerTerm,
  notice: NoticeFact,
  release: TdpFact,
): Omit<AuthorizationEnd, 'letter' | 'final'> {
  const spec = term.trigger.specificationId;
  const after = `${describeOffset(term.offset)} after the ${spec} TDP public release of ${release.data.releasedOn} (notice ${notice.data.noticeId})`;
  return {
    date: addOffset(release.data.releasedOn, term.offset),
    status: 'expired',
    rule: 'expired-by-sunset-after-trigger',
    facts: [
      { fact: notice, role: 'ends' },
      { fact: release, role: 'resolves-trigger' },
    ],
    description: passesLastDate(release.data.releasedOn, term.offset)
      ? `${after}, which falls after ${LAST_DATE}, the last date the ledger holds, so ${LAST_DATE} stands for it`
      : after,
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
