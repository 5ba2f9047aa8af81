import type { ProjectionDefinition } from './definition.ts';
import { interner } from './interned.ts';

const streamNames = interner();

/** Which stream holds each event, so a retraction can be addressed by event id alone. */
export const eventStreams: ProjectionDefinition<Map<string, string>> = {
  name: 'event-streams',
  version: 1,
  initialState: () => new Map(),
  apply(state, event) {
    state.set(event.eventId, streamNames(event.stream));
    return state;
  },
  toJSON: (state) => [...state],
  fromJSON: (json) => new Map(json as [string, string][]),
};
