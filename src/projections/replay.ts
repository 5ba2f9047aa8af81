import type { ProjectionDefinition } from '../../projections/definition.ts';
import type { RecordedEvent } from '../eventstore/port.ts';
import type { ProjectionStates } from './ledger-queries.ts';

export interface ReplayOptions {
  /** Stop after this global position. */
  toPosition?: number;
  /** Stop before the first event recorded after this instant. */
  asKnownAt?: string;
  /** Called after each applied event, for progress reporting. */
  onEvent?: (event: RecordedEvent) => void;
}

/**
 * Builds every projection from scratch over the given events, optionally cut at a record-time
 * moment: the read models exactly as the ledger knew them then.
 */
export async function replayLedger(
  events: AsyncIterable<RecordedEvent>,
  definitions: readonly ProjectionDefinition<unknown>[],
  options: ReplayOptions = {},
): Promise<ProjectionStates & { events: number; position: number }> {
  const states = new Map(definitions.map((d) => [d.name, d.initialState()]));
  const limit = options.asKnownAt === undefined ? null : Date.parse(options.asKnownAt);
  let count = 0;
  let position = 0;
  for await (const event of events) {
    if (options.toPosition !== undefined && event.position > options.toPosition) break;
    if (limit !== null && Date.parse(event.metadata.recordedAt) > limit) break;
    for (const d of definitions) states.set(d.name, d.apply(states.get(d.name), event));
    count++;
    position = event.position;
    options.onEvent?.(event);
  }
  return {
    events: count,
    position,
    state: <S>(definition: ProjectionDefinition<S>) => states.get(definition.name) as S,
  };
}
