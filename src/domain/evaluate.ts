import { addDays, type CalendarDate, earliest } from './calendar.ts';
import type { Fact } from './events.ts';
import type { Rule, Status } from './status.ts';
import {
  type AsKnownAt,
  type AuthorizationEnd,
  type AuthorizationPicture,
  type AuthorizationStart,
  type AuthorizationWindow,
  type BasisRole,
  byPrecedence,
  endsOf,
  type PendingCondition,
  type PendingSunset,
  resolveAuthorization,
  type Suspension,
} from './windows.ts';

export interface EvaluateOptions {
  /** The valid date asked about. */
  at: CalendarDate;
  /** Drop every fact (and retraction) recorded later; absent means "as known now". */
  asKnownAt?: AsKnownAt;
}

export interface BasisEntry {
  eventId: string;
  position: number;
  type: string;
  /** What the event does for this answer; one event can both authorize and end. */
  roles: BasisRole[];
}

export interface ProgramStatus {
  at: CalendarDate;
  status: Status;
  rule: Rule;
  /** First day of the authorization window the answer concerns; null when there is none. */
  authorizedFrom: CalendarDate | null;
  /**
   * When authorized: the first day from `at` on that is not authorized (a suspension's start or
   * the window's end), null while nothing known ends it. Otherwise the window's end.
   */
  until: CalendarDate | null;
  /** The window's own end (first day after it), whatever suspensions lie inside it. */
  windowEnd: CalendarDate | null;
  /** The day before `until` when authorized; for an ended window, its last authorized day. */
  lastAuthorizedDay: CalendarDate | null;
  /** When suspended: the day supply is allowed again, if a suspension's end is known in the window. */
  resumesOn: CalendarDate | null;
  pendingConditions: PendingCondition[];
  basis: BasisEntry[];
  explanation: string;
}

export function evaluate(facts: readonly Fact[], options: EvaluateOptions): ProgramStatus {
  return statusOn(resolveAuthorization(facts, options.asKnownAt), options.at);
}

type Fields = Pick<
  ProgramStatus,
  'authorizedFrom' | 'until' | 'windowEnd' | 'lastAuthorizedDay' | 'resumesOn'
>;

const NO_WINDOW: Fields = {
  authorizedFrom: null,
  until: null,
  windowEnd: null,
  lastAuthorizedDay: null,
  resumesOn: null,
};

/** The status of a resolved program on one valid date. */
export function statusOn(picture: AuthorizationPicture, at: CalendarDate): ProgramStatus {
  const basis = new BasisBuilder();
  if (picture.registration) basis.add(picture.registration, 'registers');
  for (const r of picture.retractions) basis.add(r, 'retracts');
  const pending = pendingOn(picture, at);
  const answer = (
    status: Status,
    rule: Rule,
    fields: Fields,
    explanation: string,
  ): ProgramStatus => ({
    at,
    status,
    rule,
    ...fields,
    pendingConditions: pending.map((p) => p.condition),
    basis: basis.entries(),
    explanation,
  });

  if (!picture.registration)
    return answer(
      'not-authorized',
      'program-unknown',
      NO_WINDOW,
      'No program is recorded under this id as of then.',
    );

  const { windows } = picture;
  const index = windows.findIndex((w) => w.from <= at && (w.until === null || at < w.until));
  const window = windows[index];
  if (window) {
    for (const s of window.opens) basis.add(s.fact, 'authorizes');
    for (const { fact } of pending) basis.add(fact, 'awaits-trigger');
    const covering = coveringSuspensions(window, at);
    if (covering.length > 0) {
      for (const s of covering) addSuspension(basis, s);
      addWindowEnd(basis, window);
      const resumesOn = resumption(window, at);
      return answer(
        'suspended',
        'suspended-by-notice',
        { ...inWindow(window), until: window.until, resumesOn },
        suspendedSentence(covering, window, resumesOn),
      );
    }
    const stop = authorizedUntil(windows, index, at);
    for (const w of stop.through) for (const s of w.opens) basis.add(s.fact, 'authorizes');
    if (stop.suspensions) for (const s of stop.suspensions) addSuspension(basis, s);
    else addWindowEnd(basis, stop.window);
    const opener = window.opens[0] as AuthorizationStart;
    return answer(
      'authorized',
      opener.rule,
      {
        ...inWindow(window),
        until: stop.until,
        lastAuthorizedDay: stop.until && addDays(stop.until, -1),
      },
      authorizedSentence(window, stop, pending),
    );
  }

  const previous = windows.findLast((w) => w.until !== null && w.until <= at);
  const finalEnd = picture.finalEnd;
  const endedBySupplier = finalEnd !== null && finalEnd.date <= at;
  if (previous) {
    const applied = !endedBySupplier && applicationAnswer(picture, at, basis, previous.until);
    if (applied)
      return answer(applied.status, applied.status, ended(previous), applied.explanation);
    const cut = cutStarts(picture, at, previous.from);
    for (const s of previous.opens) basis.add(s.fact, 'authorizes');
    for (const c of unopened(cut, previous)) basis.add(c.start.fact, 'authorizes');
    const inForce = endsInForce(cut, previous.ends);
    for (const end of inForce) for (const { fact, role } of end.facts) basis.add(fact, role);
    const decisive = previous.ends[0] as AuthorizationEnd;
    const fields = ended(previous);
    return answer(
      decisive.status,
      decisive.rule,
      fields,
      endSentence(previous, fields, inForce, cut),
    );
  }
  if (endedBySupplier) {
    for (const { fact, role } of finalEnd.facts) basis.add(fact, role);
    return answer(
      'ended',
      'ended-by-supplier',
      NO_WINDOW,
      `Ended on ${finalEnd.date}: ${finalEnd.description}.`,
    );
  }
  const next = windows[0];
  const applied = applicationAnswer(picture, at, basis, null);
  if (applied)
    return answer(
      applied.status,
      applied.status,
      next ? upcoming(next) : NO_WINDOW,
      applied.explanation,
    );
  if (next) {
    for (const s of next.opens) basis.add(s.fact, 'authorizes');
    addWindowEnd(basis, next);
    const ending =
      next.until === null
        ? ''
        : `, until ${next.until} (last authorized day ${addDays(next.until, -1)}): ${describeEnds(next.ends)}`;
    return answer(
      'not-authorized',
      'before-authorization',
      upcoming(next),
      `Not authorized yet: authorization starts on ${next.from} by ${describeStarts(next.opens)}${ending}.`,
    );
  }
  return noAuthorization(picture, basis, (rule, explanation) =>
    answer('not-authorized', rule, NO_WINDOW, explanation),
  );
}

/** The open sunsets that bear on `at`: a superseded letter's only before the superseding one takes effect. */
const pendingOn = (picture: AuthorizationPicture, at: CalendarDate) =>
  picture.pending.filter((p) => p.before === null || at < p.before);

interface CutStart {
  start: AuthorizationStart;
  /** The ends that end it, in force on the date asked, earliest first. */
  by: AuthorizationEnd[];
}

/**
 * The starts dated on or before `at` (from the last window's start on) that do not authorize
 * it, each with the ends in force on `at` that end it: the letters that decide a date outside
 * every window.
 */
function cutStarts(
  picture: AuthorizationPicture,
  at: CalendarDate,
  since: CalendarDate,
): CutStart[] {
  return picture.starts
    .filter((s) => s.date <= at && s.date >= since)
    .map((start) => ({ start, by: endsOf(picture, start).filter((e) => e.date <= at) }))
    .filter((c) => c.by.length > 0);
}

/** Every end in force that ends one of the cut starts, the deciding ones first. */
function endsInForce(cut: CutStart[], deciding: AuthorizationEnd[]): AuthorizationEnd[] {
  const all = new Set<AuthorizationEnd>(deciding);
  for (const c of cut) for (const e of c.by) all.add(e);
  return [...deciding, ...[...all].filter((e) => !deciding.includes(e)).sort(byPrecedence)];
}

/** The starts dated after a window's end that an end kept from opening a window. */
const unopened = (cut: readonly CutStart[], window: AuthorizationWindow) =>
  cut.filter((c) => window.until !== null && c.start.date >= window.until);

const neverOpened = (c: CutStart) =>
  `the authorization from ${c.start.date} by ${c.start.description} never took effect, ended from ${(c.by[0] as AuthorizationEnd).date} by ${(c.by[0] as AuthorizationEnd).description}`;

function addSuspension(basis: BasisBuilder, s: Suspension) {
  basis.add(s.fact, 'suspends');
  if (s.liftedBy) basis.add(s.liftedBy, 'lifts');
}

const inWindow = (w: AuthorizationWindow): Fields => ({
  authorizedFrom: w.from,
  until: w.until,
  windowEnd: w.until,
  lastAuthorizedDay: null,
  resumesOn: null,
});

const upcoming = (w: AuthorizationWindow): Fields => inWindow(w);

const ended = (w: AuthorizationWindow): Fields => ({
  ...inWindow(w),
  lastAuthorizedDay: lastAuthorizedDay(w),
});

/** The letters that set a window's end. */
function addWindowEnd(basis: BasisBuilder, w: AuthorizationWindow) {
  for (const end of w.ends) for (const { fact, role } of end.facts) basis.add(fact, role);
}

const covers = (s: Suspension, d: CalendarDate) => s.from <= d && (s.until === null || d < s.until);

function coveringSuspensions(w: AuthorizationWindow, d: CalendarDate): Suspension[] {
  return w.suspensions.filter((s) => covers(s, d));
}

/** The first day from `at` that no suspension covers, if it falls inside the window. */
function resumption(w: AuthorizationWindow, at: CalendarDate): CalendarDate | null {
  let day: CalendarDate | null = at;
  for (;;) {
    const covering = coveringSuspensions(w, day);
    if (covering.length === 0) break;
    if (covering.some((s) => s.until === null)) return null;
    day = covering.reduce((m, s) => ((s.until as string) > m ? (s.until as string) : m), day);
  }
  return w.until === null || day < w.until ? day : null;
}

/** The window's last day no suspension covers; null when suspended to its end from its start. */
function lastAuthorizedDay(w: AuthorizationWindow): CalendarDate | null {
  if (w.until === null) return null;
  let day = addDays(w.until, -1);
  while (day >= w.from) {
    const covering = coveringSuspensions(w, day);
    if (covering.length === 0) return day;
    day = addDays(earliest(covering.map((s) => s.from)) as CalendarDate, -1);
  }
  return null;
}

interface Stop {
  until: CalendarDate | null;
  /** The window whose end stops the authorization (when no suspension does). */
  window: AuthorizationWindow;
  /** Windows the authorization runs into without a gap (each starting on the last one's end). */
  through: AuthorizationWindow[];
  suspensions: Suspension[] | null;
}

/**
 * The first day from `at` on that is not authorized: a suspension's start in the window, or its
 * end, unless another window opens on that very day unsuspended.
 */
function authorizedUntil(windows: AuthorizationWindow[], index: number, at: CalendarDate): Stop {
  const through: AuthorizationWindow[] = [];
  let day = at;
  for (let i = index; ; i++) {
    const w = windows[i] as AuthorizationWindow;
    const ahead = w.suspensions.filter(
      (s) => s.from > day && (w.until === null || s.from < w.until),
    );
    if (ahead.length > 0) {
      const first = earliest(ahead.map((s) => s.from)) as CalendarDate;
      return {
        until: first,
        window: w,
        through,
        suspensions: ahead.filter((s) => s.from === first),
      };
    }
    const next = windows[i + 1];
    if (w.until === null || next?.from !== w.until || coveringSuspensions(next, w.until).length)
      return { until: w.until, window: w, through, suspensions: null };
    through.push(next);
    day = next.from;
  }
}

function describeStarts(starts: readonly AuthorizationStart[]): string {
  return joinAnd(starts.map((s) => s.description));
}

const joinAnd = (parts: readonly string[]) =>
  parts.length <= 1
    ? (parts[0] ?? '')
    : `${parts.slice(0, -1).join(', ')} and ${parts.at(-1) as string}`;

function authorizedSentence(
  window: AuthorizationWindow,
  stop: Stop,
  pending: readonly PendingSunset[],
): string {
  const continued = stop.through.map(
    (w) => `, continued from ${w.from} by ${describeStarts(w.opens)}`,
  );
  const since = `Authorized since ${window.from} by ${describeStarts(window.opens)}${continued.join('')}`;
  if (stop.until === null) {
    if (pending.length)
      return `${since}; it ${pending.map((p) => p.condition.description).join('; and ')}.`;
    return `${since}, with no end set.`;
  }
  const last = `until ${stop.until} (last authorized day ${addDays(stop.until, -1)})`;
  const sooner = pending.length
    ? `; it may end sooner: it ${pending.map((p) => `${p.condition.description} (notice ${p.condition.noticeId})`).join('; and ')}`
    : '';
  if (stop.suspensions)
    return `${since}, ${last}: ${joinAnd(stop.suspensions.map(suspensionPhrase))} from ${stop.until}${sooner}.`;
  return `${since}, ${last}: ${describeEnds(stop.window.ends)}${sooner}.`;
}

const untilPhrase = (until: CalendarDate | null) =>
  until ? `until ${until}` : 'until further notice';

/** A suspension ahead, each date credited to the letter that sets it. */
const suspensionPhrase = (s: Suspension) =>
  s.liftedBy
    ? `notice ${s.fact.data.noticeId} suspends supply ${untilPhrase(s.written)}, lifted from ${s.until} by notice ${s.liftedBy.data.noticeId}`
    : `notice ${s.fact.data.noticeId} suspends supply ${untilPhrase(s.until)}`;

/** A suspension in force, each date credited to the letter that sets it. */
const suspensionSpan = (s: Suspension) =>
  s.liftedBy
    ? `from ${s.from} by notice ${s.fact.data.noticeId} ${untilPhrase(s.written)}, lifted from ${s.until} by notice ${s.liftedBy.data.noticeId}`
    : `from ${s.from} ${untilPhrase(s.until)} by notice ${s.fact.data.noticeId}`;

function suspendedSentence(
  covering: Suspension[],
  window: AuthorizationWindow,
  resumesOn: CalendarDate | null,
): string {
  const tail =
    resumesOn !== null || window.until === null || covering.every((s) => s.until === null)
      ? ''
      : `; the authorization ends on ${window.until} before the suspension lifts: ${describeEnds(window.ends)}`;
  return `Suspended ${joinAnd(covering.map(suspensionSpan))}${tail}.`;
}

function describeEnds(ends: readonly AuthorizationEnd[]): string {
  return joinAnd(ends.map((e) => e.description));
}

/**
 * The window's deciding end(s), then every later end in force on the date asked and every
 * start after the window that such an end kept from taking effect.
 */
function endSentence(
  window: AuthorizationWindow,
  fields: Fields,
  inForce: readonly AuthorizationEnd[],
  cut: readonly CutStart[],
): string {
  const decisive = window.ends[0] as AuthorizationEnd;
  const last = fields.lastAuthorizedDay
    ? ` (last authorized day ${fields.lastAuthorizedDay})`
    : ' (suspended through its last day)';
  const later = inForce
    .filter((e) => !window.ends.includes(e))
    .map((e) => `; and from ${e.date} ${e.description}`);
  const never = unopened(cut, window).map((c) => `; ${neverOpened(c)}`);
  return `${capitalized(decisive.status)} on ${window.until}${last}: ${describeEnds(window.ends)}${later.join('')}${never.join('')}.`;
}

/** The latest application on or before `at` (submitted on or after `since`), and its decision. */
function applicationAnswer(
  picture: AuthorizationPicture,
  at: CalendarDate,
  basis: BasisBuilder,
  since: CalendarDate | null,
): { status: 'application-pending' | 'application-rejected'; explanation: string } | null {
  const submitted = picture.applications
    .filter((a) => a.data.submittedOn <= at && (since === null || a.data.submittedOn >= since))
    .sort((a, b) => (a.data.submittedOn < b.data.submittedOn ? -1 : a.position - b.position));
  const latest = submitted.at(-1);
  if (!latest) return null;
  const id = latest.data.applicationId;
  const decision = picture.decisions.get(id);
  if (decision && decision.data.decidedOn <= at) {
    if (decision.data.decision !== 'rejected') return null;
    basis.add(latest, 'application');
    basis.add(decision, 'decision');
    const resubmission = decision.data.resubmissionAllowed
      ? 'resubmission allowed'
      : 'resubmission not allowed';
    return {
      status: 'application-rejected',
      explanation: `License application ${id} was rejected on ${decision.data.decidedOn} (${resubmission}).`,
    };
  }
  basis.add(latest, 'application');
  return {
    status: 'application-pending',
    explanation: `License application ${id}, submitted ${latest.data.submittedOn}, awaits a decision.`,
  };
}

/**
 * No window at all: either nothing authorizes, or every start is ended before it begins (by the
 * supplier's final end, or by a letter written after it), named with the end that keeps it shut.
 */
function noAuthorization(
  picture: AuthorizationPicture,
  basis: BasisBuilder,
  answer: (rule: Rule, explanation: string) => ProgramStatus,
): ProgramStatus {
  const first = picture.starts[0];
  const end = first && endsOf(picture, first)[0];
  if (!first || !end)
    return answer('no-authorization', 'No notice or license decision authorizes this program.');
  basis.add(first.fact, 'authorizes');
  for (const { fact, role } of end.facts) basis.add(fact, role);
  return answer(
    'no-authorization',
    end.final
      ? `Not authorized: ${first.description} authorizes from ${first.date}, but the supplier had ended the program on ${end.date}, and an end by the supplier is final.`
      : `Not authorized: ${first.description} authorizes from ${first.date}, but ${end.description}, written after it, ends it from ${end.date}.`,
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
