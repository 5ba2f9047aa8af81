import type { DomainError } from './errors.ts';
import type { DomainEvent, Identified } from './events.ts';

/**
 * An aggregate's rules, after Emmett's Decider: `decide` answers a command on the folded state
 * with the events to record (none when it repeats a fact on record) or a refusal, returned and
 * not thrown; `evolve` folds one recorded event (with its id, so a retraction can name it).
 */
export type Decider<Command, Event extends DomainEvent, State> = {
  decide: (command: Command, state: State) => Event[] | DomainError;
  evolve: (state: State, event: Identified<Event>) => State;
  initialState: () => State;
};
