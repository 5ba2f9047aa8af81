import type { ProgramCommand } from './commands.ts';
import type { Decider } from './decider.ts';
import { type DomainError, refuse } from './errors.ts';
import type { EventData, Identified, ProgramEvent } from './events.ts';
import {
  checkCorrections,
  checkRetraction,
  rememberEvent,
  type StreamEvents,
} from './retraction.ts';
import { samePayload } from './same-payload.ts';
import type { Term } from './terms.ts';

/** The program aggregate: one supplier's supply program for one specification on one channel. */
export interface ProgramState {
  registration: EventData<'ProgramRegistered'> | null;
  /** The eventId of the ProgramEnded in force, if any. */
  endedBy: string | null;
  notices: Map<string, Identified<{ type: 'NoticeReceived'; data: EventData<'NoticeReceived'> }>>;
  applications: Map<string, Recorded<'LicenseApplicationSubmitted'>>;
  /** Decisions in force, by applicationId. */
  decisions: Map<string, Recorded<'LicenseApplicationDecided'>>;
  shipments: Map<string, Recorded<'ShipmentRecorded'>>;
  events: StreamEvents;
}

type Recorded<T extends ProgramEvent['type']> = { eventId: string; data: EventData<T> };

export const initialProgramState = (): ProgramState => ({
  registration: null,
  endedBy: null,
  notices: new Map(),
  applications: new Map(),
  decisions: new Map(),
  shipments: new Map(),
  events: new Map(),
});

/**
 * What an ended program refuses: only the supplier's own new undertakings (an application, a
 * second end). A regulator's letter or decision, a shipment and a correction are facts, and a
 * fact is never refused for arriving after the end (Principle 1).
 */
const REFUSED_AFTER_END = new Set<ProgramCommand['type']>([
  'SubmitLicenseApplication',
  'EndProgram',
]);

export function decideProgram(
  command: ProgramCommand,
  state: ProgramState,
): ProgramEvent[] | DomainError {
  if (command.type === 'RegisterProgram') {
    if (state.registration && samePayload(state.registration, command.data)) return [];
    return state.registration
      ? refuse(
          'already-registered',
          `program ${state.registration.programId} is already registered`,
        )
      : [{ type: 'ProgramRegistered', data: command.data }];
  }
  const registration = state.registration;
  if (!registration) return refuse('not-registered', 'the program is not registered');
  const programId = registration.programId;
  if (state.endedBy && REFUSED_AFTER_END.has(command.type))
    return refuse(
      'program-ended',
      `program ${programId} has ended (event ${state.endedBy}); the supplier can no longer apply or end it again`,
    );

  switch (command.type) {
    case 'RecordNotice':
      return decideNotice(command.data, state);
    case 'SubmitLicenseApplication': {
      const existing = state.applications.get(command.data.applicationId);
      if (existing)
        return samePayload(existing.data, command.data)
          ? []
          : refuse(
              'application-id-conflict',
              `application ${command.data.applicationId} is already recorded with other content`,
            );
      return [{ type: 'LicenseApplicationSubmitted', data: command.data }];
    }
    case 'DecideLicenseApplication':
      return decideLicense(command.data, state);
    case 'RecordShipment': {
      const existing = state.shipments.get(command.data.shipmentId);
      if (existing)
        return samePayload(existing.data, command.data)
          ? []
          : refuse(
              'shipment-id-conflict',
              `shipment ${command.data.shipmentId} is already recorded with other content`,
            );
      return [{ type: 'ShipmentRecorded', data: command.data }];
    }
    case 'RecordCheck':
      return [{ type: 'ShipmentChecked', data: command.data }];
    case 'EndProgram':
      return [{ type: 'ProgramEnded', data: command.data }];
    case 'RetractEvent': {
      const refusal = checkRetraction(state.events, `program ${programId}`, command.data);
      if (refusal) return refusal;
      const decided = [...state.applications.values()].find(
        (a) =>
          a.eventId === command.data.retractedEventId && state.decisions.has(a.data.applicationId),
      );
      if (decided)
        return refuse(
          'not-retractable',
          `application ${decided.data.applicationId} has a decision; retract the decision first`,
        );
      return [{ type: 'EventRetracted', data: command.data }];
    }
  }
}

function decideNotice(
  notice: EventData<'NoticeReceived'>,
  state: ProgramState,
): ProgramEvent[] | DomainError {
  const existing = state.notices.get(notice.noticeId);
  if (existing)
    return samePayload(existing.data, notice)
      ? []
      : refuse(
          'notice-id-conflict',
          `notice ${notice.noticeId} is already recorded with other content (event ${existing.eventId}); retract it to correct it`,
        );
  for (const superseded of notice.supersedes ?? []) {
    if (superseded === notice.noticeId)
      return refuse('contradictory-terms', `notice ${notice.noticeId} cannot supersede itself`);
    if (!state.notices.has(superseded))
      return refuse(
        'unknown-superseded-notice',
        `notice ${superseded} (in supersedes) is not recorded on this program`,
      );
  }
  const contradiction =
    notice.terms.map(termContradiction).find((m) => m !== null) ?? noticeContradiction(notice);
  if (contradiction) return refuse('contradictory-terms', contradiction);
  return [{ type: 'NoticeReceived', data: notice }];
}

function termContradiction(term: Term): string | null {
  if (term.kind === 'suspends' && term.until !== undefined && term.until <= term.from)
    return `a suspension must end after it starts (from ${term.from}, until ${term.until})`;
  return null;
}

/** A notice that authorizes from a date and ends on or before it says two opposite things. */
function noticeContradiction(notice: EventData<'NoticeReceived'>): string | null {
  for (const start of notice.terms)
    for (const end of notice.terms)
      if (
        start.kind === 'authorizes' &&
        (end.kind === 'ends-on' || end.kind === 'revokes') &&
        end.effectiveOn <= start.from
      )
        return `notice ${notice.noticeId} authorizes from ${start.from} but its ${end.kind} term ends it on ${end.effectiveOn}`;
      else if (
        start.kind === 'authorizes' &&
        end.kind === 'last-authorized-day' &&
        end.date < start.from
      )
        return `notice ${notice.noticeId} authorizes from ${start.from} but its last authorized day is ${end.date}`;
  return null;
}

function decideLicense(
  decision: EventData<'LicenseApplicationDecided'>,
  state: ProgramState,
): ProgramEvent[] | DomainError {
  const application = state.applications.get(decision.applicationId);
  if (!application)
    return refuse(
      'unknown-application',
      `application ${decision.applicationId} is not recorded on this program`,
    );
  const existing = state.decisions.get(decision.applicationId);
  if (existing)
    return samePayload(existing.data, decision)
      ? []
      : refuse(
          'application-already-decided',
          `application ${decision.applicationId} is already decided (event ${existing.eventId}); retract that decision to correct it`,
        );
  if (decision.limits?.length && decision.decision !== 'approved')
    return refuse(
      'contradictory-terms',
      `a rejection cannot set limits: limits cap what an approval authorizes`,
    );
  if (decision.decidedOn < application.data.submittedOn)
    return refuse(
      'decision-before-submission',
      `the decision (${decision.decidedOn}) cannot precede the application (${application.data.submittedOn})`,
    );
  return [{ type: 'LicenseApplicationDecided', data: decision }];
}

/**
 * Folds one event into the state. It reuses the given state's collections (a fold never
 * revisits an older state), which keeps rebuilding a long stream linear.
 */
export function evolveProgram(state: ProgramState, event: Identified<ProgramEvent>): ProgramState {
  rememberEvent(state.events, event);
  switch (event.type) {
    case 'ProgramRegistered':
      return { ...state, registration: event.data };
    case 'NoticeReceived':
      state.notices.set(event.data.noticeId, event);
      return state;
    case 'LicenseApplicationSubmitted':
      state.applications.set(event.data.applicationId, event);
      return state;
    case 'LicenseApplicationDecided':
      state.decisions.set(event.data.applicationId, event);
      return state;
    case 'ShipmentRecorded':
      state.shipments.set(event.data.shipmentId, event);
      return state;
    case 'ShipmentChecked':
      return state;
    case 'ProgramEnded':
      return { ...state, endedBy: event.eventId };
    case 'EventRetracted':
      return retract(state, event.data.retractedEventId);
  }
}

function retract(state: ProgramState, eventId: string): ProgramState {
  const target = state.events.get(eventId);
  if (target) target.retracted = true;
  for (const map of [state.notices, state.applications, state.decisions, state.shipments]) {
    for (const [key, recorded] of map) if (recorded.eventId === eventId) map.delete(key);
  }
  return state.endedBy === eventId ? { ...state, endedBy: null } : state;
}

export const programDecider = {
  decide: (command: ProgramCommand, state: ProgramState) =>
    checkCorrections(
      state.events,
      `program ${state.registration?.programId}`,
      decideProgram(command, state),
    ),
  evolve: evolveProgram,
  initialState: initialProgramState,
} satisfies Decider<ProgramCommand, ProgramEvent, ProgramState>;
