import { z } from 'zod';
import { ProgramEvent, SpecificationEvent } from './events.ts';
import { Slug } from './identifiers.ts';
import { streamOwner } from './streams.ts';

/** What the domain reads of a recorded event, whoever recorded it. */
export interface RecordedFact {
  stream: string;
  type: string;
  data: unknown;
  metadata: { recordedAt: string };
}

const RecordedAt = z.iso.datetime();

/**
 * Why a recorded event (a line of an import) is not one this ledger could have recorded, in
 * words; null when it is. The stream must name a program or a specification by a slug, the type
 * be one of that stream's, the data fit the event's schema and the record time be an instant.
 * The event schemas accept what any earlier version recorded, so old exports still pass.
 */
export function recordedEventProblem(event: RecordedFact): string | null {
  const owner = streamOwner(event.stream);
  if (!owner || Slug.safeParse(owner.id).data !== owner.id)
    return `stream ${JSON.stringify(event.stream)} names no program or specification`;
  const schema = owner.kind === 'program' ? ProgramEvent : SpecificationEvent;
  const parsed = schema.safeParse({ type: event.type, data: event.data });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    if (issue?.path[0] === 'type')
      return `type ${JSON.stringify(event.type)} is not an event of a ${owner.kind}`;
    return `${event.type} data: ${['data', ...(issue?.path.slice(1) ?? [])].join('.')} ${issue?.message}`;
  }
  if (!RecordedAt.safeParse(event.metadata.recordedAt).success)
    return `recordedAt ${JSON.stringify(event.metadata.recordedAt)} is not an instant`;
  return null;
}
