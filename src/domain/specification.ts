import type { SpecificationCommand } from './commands.ts';
import type { Decider } from './decider.ts';
import { type DomainError, refuse } from './errors.ts';
import type { EventData, Identified, SpecificationEvent } from './events.ts';
import {
  checkCorrections,
  checkRetraction,
  rememberEvent,
  type StreamEvents,
} from './retraction.ts';
import { samePayload } from './same-payload.ts';

/** The specification aggregate: a regulator's product specification and its TDP releases. */
export interface SpecificationState {
  registration: EventData<'SpecificationRegistered'> | null;
  /** The eventId of the public TDP release in force, if any: there is one per specification. */
  publicReleaseEventId: string | null;
  /** The TDP releases in force, by eventId: a release sent again is the same fact. */
  releases: Map<string, EventData<'TechnicalDataPackageReleased'>>;
  events: StreamEvents;
}

export const initialSpecificationState = (): SpecificationState => ({
  registration: null,
  publicReleaseEventId: null,
  releases: new Map(),
  events: new Map(),
});

export function decideSpecification(
  command: SpecificationCommand,
  state: SpecificationState,
): SpecificationEvent[] | DomainError {
  if (command.type === 'RegisterSpecification') {
    if (state.registration && samePayload(state.registration, command.data)) return [];
    if (state.registration)
      return refuse(
        'already-registered',
        `specification ${state.registration.specificationId} is already registered`,
      );
    if (command.data.supersedes === command.data.specificationId)
      return refuse('contradictory-terms', 'a specification cannot supersede itself');
    return [{ type: 'SpecificationRegistered', data: command.data }];
  }
  const registration = state.registration;
  if (!registration) return refuse('not-registered', 'the specification is not registered');
  const specificationId = registration.specificationId;
  switch (command.type) {
    case 'ReleaseTechnicalDataPackage': {
      const release = { specificationId, ...command.data };
      if ([...state.releases.values()].some((r) => samePayload(r, release))) return [];
      // Limited (non-public) releases may precede the public one; only a second public one is refused.
      if (command.data.publicRelease && state.publicReleaseEventId)
        return refuse(
          'tdp-already-released',
          `specification ${specificationId} already has a public TDP release (event ${state.publicReleaseEventId}); retract it first to correct it`,
        );
      return [{ type: 'TechnicalDataPackageReleased', data: release }];
    }
    case 'RetractEvent':
      return (
        checkRetraction(state.events, `specification ${specificationId}`, command.data) ?? [
          { type: 'EventRetracted', data: command.data },
        ]
      );
  }
}

/**
 * Folds one event into the state. It reuses the given state's collections (a fold never
 * revisits an older state), which keeps rebuilding a long stream linear.
 */
export function evolveSpecification(
  state: SpecificationState,
  event: Identified<SpecificationEvent>,
): SpecificationState {
  rememberEvent(state.events, event);
  switch (event.type) {
    case 'SpecificationRegistered':
      return { ...state, registration: event.data };
    case 'TechnicalDataPackageReleased':
      state.releases.set(event.eventId, event.data);
      return event.data.publicRelease ? { ...state, publicReleaseEventId: event.eventId } : state;
    case 'EventRetracted': {
      const target = state.events.get(event.data.retractedEventId);
      if (target) target.retracted = true;
      state.releases.delete(event.data.retractedEventId);
      const tdpRetracted = state.publicReleaseEventId === event.data.retractedEventId;
      return tdpRetracted ? { ...state, publicReleaseEventId: null } : state;
    }
  }
}

export const specificationDecider = {
  decide: (command: SpecificationCommand, state: SpecificationState) =>
    checkCorrections(
      state.events,
      `specification ${state.registration?.specificationId}`,
      decideSpecification(command, state),
    ),
  evolve: evolveSpecification,
  initialState: initialSpecificationState,
} satisfies Decider<SpecificationCommand, SpecificationEvent, SpecificationState>;
