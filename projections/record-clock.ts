import type { ProjectionDefinition } from './definition.ts';

/**
 * The ledger's clock along the global order: at each event, the latest recordedAt stamped so
 * far. Writers stamp before they commit, so with several writer processes (esdb) recordedAt
 * alone can go back along the order; this running maximum never does. "As known at" an
 * instant K is then the longest prefix of the order whose clock is at most K: a state the
 * ledger was really in, extended by every later K, and the same cut replayLedger makes. Where
 * recordedAt never goes back (memory, sqlite) it is exactly the events recorded by K.
 *
 * Kept as the steps of the clock: where it rose, to what, and the event before.
 */
export interface RecordClock {
  /** Epoch milliseconds the clock rose to, increasing. */
  readonly steps: number[];
  /** Position of the last event before each step (0: none). */
  readonly before: number[];
  last: { position: number; clock: number };
}

export const recordClock: ProjectionDefinition<RecordClock> = {
  name: 'record-clock',
  version: 1,
  initialState: () => ({ steps: [], before: [], last: { position: 0, clock: -Infinity } }),
  apply(state, event) {
    const stamped = parsed(event.metadata.recordedAt);
    if (stamped > state.last.clock) {
      state.steps.push(stamped);
      state.before.push(state.last.position);
      state.last.clock = stamped;
    }
    state.last.position = event.position;
    return state;
  },
  toJSON: (state) => state,
  fromJSON: (json) => json as RecordClock,
};

/** Date.parse, kept for the last text: the events of a batch share their recordedAt. */
let last = { text: '', ms: Number.NaN };
function parsed(text: string): number {
  if (text !== last.text) last = { text, ms: Date.parse(text) };
  return last.ms;
}

/** The last position known at `instantMs` (0: nothing yet), or null when everything is. */
export function knownAtPosition(clock: RecordClock, instantMs: number): number | null {
  // The first step past the instant: the cut falls just before it.
  let low = 0;
  let high = clock.steps.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if ((clock.steps[middle] as number) > instantMs) high = middle;
    else low = middle + 1;
  }
  return low === clock.steps.length ? null : (clock.before[low] as number);
}
