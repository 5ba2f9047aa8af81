import { DomainError, refuse } from './errors.ts';
import type { EventData } from './events.ts';

/** What every aggregate remembers of its own events, so a retraction can be checked. */
export interface RecordedInStream {
  readonly type: string;
  retracted: boolean;
  /** The event that corrects this one (docs/design.md §10 "Corrections"), if any. */
  correctedBy: string | null;
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

/** Remembers one recorded event of the stream, and the correction it makes, if it is one. */
export function rememberEvent(
  events: StreamEvents,
  event: { eventId: string; type: string; data: unknown },
): void {
  events.set(event.eventId, { type: event.type, retracted: false, correctedBy: null });
  const corrected = correctsOf(event.data);
  const target = corrected ? events.get(corrected) : undefined;
  if (target) target.correctedBy = event.eventId;
}

/**
 * The decision, or a refusal when a fact it records corrects what it cannot: a correction
 * replaces one retracted event of its own stream and type, once (Annex 11 §9: the retraction
 * carries the reason, so the original must be retracted first).
 */
export function checkCorrections<E extends { type: string; data: unknown }>(
  events: StreamEvents,
  stream: string,
  decided: E[] | DomainError,
): E[] | DomainError {
  if (decided instanceof DomainError) return decided;
  for (const event of decided) {
    const corrected = correctsOf(event.data);
    if (!corrected) continue;
    const target = events.get(corrected);
    if (!target) return refuse('not-a-correction', `event ${corrected} is not in ${stream}`);
    if (target.type !== event.type)
      return refuse(
        'not-a-correction',
        `event ${corrected} is a ${target.type}; a ${event.type} cannot correct it`,
      );
    if (target.correctedBy && !events.get(target.correctedBy)?.retracted)
      return refuse(
        'already-corrected',
        `event ${corrected} is already corrected by event ${target.correctedBy}`,
      );
    if (!target.retracted)
      return refuse(
        'not-retracted',
        `event ${corrected} is not retracted: retract it with the reason first, then record the correction`,
      );
  }
  return decided;
}

const correctsOf = (data: unknown): string | undefined =>
  (data as { corrects?: string } | null)?.corrects;
