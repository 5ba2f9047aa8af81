import { Temporal } from 'temporal-polyfill';
import {
  addOffset,
  type CalendarDate,
  describeOffset,
  earliest as earliestDate,
  LAST_DATE,
  passesLastDate,
} from './calendar.ts';
import type { EventData, Fact } from './events.ts';
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

export interface AuthorizationStart {
  date: CalendarDate;
  rule: Extract<
    Rule,
    'authorized-by-notice' | 'authorized-by-license-approval' | 'authorized-as-continued-by-notice'
  >;
  fact: Fact;
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
  description: string;
}

export interface Suspension {
  from: CalendarDate;
  /** First day supply is allowed again; null until further notice. */
  until: CalendarDate | null;
  fact: NoticeFact;
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
  /** Every start in force, including those that open no window (after the program's end). */
  starts: AuthorizationStart[];
  /** The supplier's end of the program: final, no later start opens a window. */
  finalEnd: AuthorizationEnd | null;
  pending: { condition: PendingCondition; fact: NoticeFact }[];
  applications: ApplicationFact[];
  decisions: Map<string, DecisionFact>;
  /** Retractions in force of facts the status reads: they explain why a fact no longer counts. */
  retractions: Fact[];
}

/** Among simultaneous ends, the regulator's act names the status before the supplier's own. */
export const END_PRECEDENCE: Record<EndStatus, number> = { revoked: 0, expired: 1, ended: 2 };

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

/**
 * The valid-time range a notice's terms govern: a superseding notice from its own effective
 * date on; a superseded one only before the earliest effective date of the notices superseding
 * it (as known: a superseding notice recorded later is not among the facts yet).
 */
interface Governs {
  from: CalendarDate | null;
  before: { date: CalendarDate; by: string } | null;
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

  const starts: AuthorizationStart[] = [];
  const ends: AuthorizationEnd[] = [];
  const suspensions: Suspension[] = [];
  const pending: AuthorizationPicture['pending'] = [];
  for (const notice of notices) {
    const governs: Governs = {
      from: notice.data.supersedes?.length ? noticeEffectiveOn(notice.data) : null,
      before: cuts.get(notice.data.noticeId) ?? null,
    };
    const read = readNotice(notice, releases, governs);
    starts.push(...read.starts);
    ends.push(...read.ends);
    suspensions.push(...read.suspensions);
    pending.push(...read.pending);
  }
  for (const d of decisions.values())
    if (d.data.decision === 'approved')
      starts.push({
        date: d.data.decidedOn,
        rule: 'authorized-by-license-approval',
        fact: d,
        description: `the approval of license application ${d.data.applicationId}`,
      });
  const programEnds: AuthorizationEnd[] = active
    .filter((f) => f.type === 'ProgramEnded')
    .map((f) => ({
      date: f.data.endedOn,
      status: 'ended',
      rule: 'ended-by-supplier',
      facts: [{ fact: f, role: 'ends' }],
      description: `the supplier ended the program, giving the reason "${f.data.reason}"`,
    }));
  ends.push(...programEnds);
  const sortedStarts = starts.sort((a, b) =>
    a.date < b.date ? -1 : a.date > b.date ? 1 : a.fact.position - b.fact.position,
  );
  const finalEnd = earliest(programEnds);
  return {
    programId: registration?.type === 'ProgramRegistered' ? registration.data.programId : null,
    registration,
    windows: buildWindows(sortedStarts, ends, suspensions, finalEnd),
    starts: sortedStarts,
    finalEnd,
    pending,
    applications: active.filter(
      (f): f is ApplicationFact => f.type === 'LicenseApplicationSubmitted',
    ),
    decisions,
    retractions: [...withdrawn]
      .filter(([, target]) => bearsOnStatus(target, registration, notices))
      .map(([retraction]) => retraction),
  };
}

/** For each superseded notice, the earliest effective date of a notice superseding it. */
function supersessionCuts(notices: NoticeFact[]): Map<string, { date: CalendarDate; by: string }> {
  const cuts = new Map<string, { date: CalendarDate; by: string }>();
  for (const n of notices)
    for (const superseded of n.data.supersedes ?? []) {
      const date = noticeEffectiveOn(n.data);
      const current = cuts.get(superseded);
      if (!current || date < current.date) cuts.set(superseded, { date, by: n.data.noticeId });
    }
  return cuts;
}

/** A notice's starts, ends, suspensions and pending conditions, within the range it governs. */
function readNotice(
  notice: NoticeFact,
  releases: Map<string, TdpFact>,
  governs: Governs,
): Pick<AuthorizationPicture, 'pending'> & {
  starts: AuthorizationStart[];
  ends: AuthorizationEnd[];
  suspensions: Suspension[];
} {
  const { noticeId, receivedOn, terms } = notice.data;
  const from = (date: CalendarDate) =>
    governs.from !== null && date < governs.from ? governs.from : date;
  const holds = (date: CalendarDate) => governs.before === null || date < governs.before.date;
  const starts: AuthorizationStart[] = [];
  const ends: AuthorizationEnd[] = [];
  const suspensions: Suspension[] = [];
  const pending: AuthorizationPicture['pending'] = [];
  const endingDates: CalendarDate[] = [];
  for (const term of terms) {
    switch (term.kind) {
      case 'authorizes':
        starts.push({
          date: from(term.from),
          rule: 'authorized-by-notice',
          fact: notice,
          description: `notice ${noticeId}`,
        });
        break;
      case 'sunset-after-trigger': {
        const release = releases.get(term.trigger.specificationId);
        if (release) {
          const end = sunsetEnd(term, notice, release);
          endingDates.push(end.date);
          ends.push({ ...end, date: from(end.date) });
        } else {
          endingDates.push(LAST_DATE);
          // A superseded notice's open sunset is left to the notice that took over.
          if (governs.before === null)
            pending.push({ condition: pendingSunset(term, notice), fact: notice });
        }
        break;
      }
      case 'ends-on':
        endingDates.push(term.effectiveOn);
        ends.push({
          date: from(term.effectiveOn),
          status: 'expired',
          rule: 'expired-by-ends-on',
          facts: [{ fact: notice, role: 'ends' }],
          description: `the end date set by notice ${noticeId} (received ${receivedOn})`,
        });
        break;
      case 'revokes':
        ends.push({
          date: from(term.effectiveOn),
          status: 'revoked',
          rule: 'revoked-by-notice',
          facts: [{ fact: notice, role: 'ends' }],
          description: `the revocation in notice ${noticeId} (received ${receivedOn})`,
        });
        break;
      case 'suspends': {
        const until = clipUntil(term.until ?? null, governs.before?.date ?? null);
        const start = from(term.from);
        if (until === null || start < until) suspensions.push({ from: start, until, fact: notice });
        break;
      }
    }
  }
  const continuation = continuationStart(notice, terms, endingDates, from);
  if (continuation) starts.push(continuation);
  return {
    starts: starts.filter((s) => holds(s.date)),
    ends: ends.filter((e) => holds(e.date)),
    suspensions: suspensions.filter((s) => holds(s.from)),
    pending,
  };
}

/**
 * A notice with only end-bounding terms (a sunset or an end date) continues a supply it
 * presumes, from the day it takes effect, as long as its own end is still ahead then.
 */
function continuationStart(
  notice: NoticeFact,
  terms: readonly Term[],
  endingDates: CalendarDate[],
  from: (date: CalendarDate) => CalendarDate,
): AuthorizationStart | null {
  if (terms.some((t) => t.kind === 'authorizes') || endingDates.length === 0) return null;
  const date = from(noticeEffectiveOn(notice.data));
  if (endingDates.every((end) => end <= date)) return null;
  return {
    date,
    rule: 'authorized-as-continued-by-notice',
    fact: notice,
    description: `notice ${notice.data.noticeId}, which continues the supply program`,
  };
}

const clipUntil = (until: CalendarDate | null, cut: CalendarDate | null) =>
  cut === null ? until : until === null || cut < until ? cut : until;

/**
 * Windows over valid time: the earliest start opens one; it closes at the earliest end after
 * its start; a start dated on or after that end opens the next. The supplier's end is final.
 */
function buildWindows(
  starts: AuthorizationStart[],
  ends: AuthorizationEnd[],
  suspensions: Suspension[],
  finalEnd: AuthorizationEnd | null,
): AuthorizationWindow[] {
  const windows: AuthorizationWindow[] = [];
  let cursor: CalendarDate | null = null;
  for (;;) {
    const after: CalendarDate | null = cursor;
    const next: AuthorizationStart | undefined = starts.find(
      (s) => (after === null || s.date >= after) && (!finalEnd || s.date < finalEnd.date),
    );
    if (!next) return windows;
    const from: CalendarDate = next.date;
    const closing: AuthorizationEnd[] = ends.filter((e) => e.date > from);
    const until: CalendarDate | null = earliestDate(closing.map((e) => e.date));
    windows.push({
      from,
      opens: starts.filter((s) => s.date === from),
      until,
      ends: closing
        .filter((e) => e.date === until)
        .sort((a, b) => END_PRECEDENCE[a.status] - END_PRECEDENCE[b.status]),
      suspensions: suspensions.filter(
        (s) => (until === null || s.from < until) && (s.until === null || s.until > from),
      ),
    });
    if (until === null || (finalEnd && until >= finalEnd.date)) return windows;
    cursor = until;
  }
}

/**
 * Whether a withdrawn fact bears on this program's status: one of its own events other than a
 * shipment, or a TDP release of a specification its notices wait for.
 */
function bearsOnStatus(target: Fact, registration: Fact | null, notices: NoticeFact[]): boolean {
  if (target.type === 'ShipmentRecorded') return false;
  if (target.type !== 'TechnicalDataPackageReleased') return target.stream === registration?.stream;
  return notices.some((n) =>
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

function sunsetEnd(
  term: SunsetAfterTriggerTerm,
  notice: NoticeFact,
  release: TdpFact,
): AuthorizationEnd {
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

function earliest(ends: AuthorizationEnd[]): AuthorizationEnd | null {
  let best: AuthorizationEnd | null = null;
  for (const e of ends) if (!best || e.date < best.date) best = e;
  return best;
}
