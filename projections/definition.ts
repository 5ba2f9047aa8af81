import type { RecordedEvent } from '../src/eventstore/port.ts';

/**
 * A projection: a pure reducer over the ledger's global order with a name and a version.
 * `apply` owns the state it is given (it may update it in place and return it), which keeps a
 * replay of a million events linear; callers never reuse a state they passed in.
 * `toJSON`/`fromJSON` let the runtime keep a checkpoint, so a start-up need not replay
 * everything; a changed `version` discards the checkpoint and rebuilds from scratch.
 */
export interface ProjectionDefinition<S> {
  readonly name: string;
  readonly version: number;
  initialState(): S;
  apply(state: S, event: RecordedEvent): S;
  toJSON(state: S): unknown;
  fromJSON(json: unknown): S;
}
