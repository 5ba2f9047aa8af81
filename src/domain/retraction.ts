import { type DomainError, refuse } from './errors.ts';
import type { EventData } from './events.ts';

/** What every aggregate remembers of its own events, so a retraction can be checked. */
export interface RecordedInStream {
  readonly type: string;
  retracted: boolean;
}

export type StreamEvents = Map<string, RecordedInStream>;

/** Events that are the stream's identity or a correction themselves cannot be retracted. */
const NOT_RETRACTABLE = new Set(['SpecificationRegistered', 'ProgramRegistered', 'EventRetracted']);

export function checkRetraction(
  events: StreamEvents,
  stream: string,
  data: EventData<'EventRetracted'>,
): DomainError | null {
  const target = events.get(data.retractedEventId);
  if (!target) return refuse('unknown-event', `event ${data.retractedEventId} is not in ${stream}`);
  if (target.retracted)
    return refuse('already-retracted', `event ${data.retractedEventId} is already retracted`);
  if (NOT_RETRACTABLE.has(target.type))
    return refuse('not-retractable', `a ${target.type} event cannot be retracted`);
  return null;
}
