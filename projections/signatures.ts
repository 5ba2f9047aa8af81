import { type Meaning, type SignatureRecorded, signatureInWords } from '../src/domain/index.ts';
import type { RecordedEvent } from '../src/eventstore/port.ts';
import type { ProjectionDefinition } from './definition.ts';

/** One signature as the event it signs shows it (docs/design.md "Signatures"). */
export interface SignatureOnEvent {
  /** The id of the SignatureRecorded event. */
  signatureId: string;
  position: number;
  recordedAt: string;
  signer: string;
  email: string;
  meaning: Meaning;
  signedAt: string;
  comment: string | null;
  /** The hash the signed event had when signed. */
  hash: string;
  /** "Approved by Jane Doe on 2007-05-16 14:02 UTC: comment" (signatureInWords). */
  statement: string;
}

export type SignaturesByEvent = Map<string, SignatureOnEvent[]>;

/** Each signed event's signatures, in the order they were recorded. */
export const signatures: ProjectionDefinition<SignaturesByEvent> = {
  name: 'signatures',
  version: 1,
  initialState: () => new Map(),
  apply(state, event) {
    for (const [eventId, signature] of signaturesIn(event)) {
      const list = state.get(eventId);
      if (list) list.push(signature);
      else state.set(eventId, [signature]);
    }
    return state;
  },
  toJSON: (state) => [...state],
  fromJSON: (json) => new Map(json as [string, SignatureOnEvent[]][]),
};

/** The signatures a SignatureRecorded event puts on each event it names; none for other events. */
export function signaturesIn(event: RecordedEvent): [string, SignatureOnEvent][] {
  if (event.type !== 'SignatureRecorded') return [];
  const d = event.data as SignatureRecorded;
  return d.events.map((signed) => [
    signed.eventId,
    {
      signatureId: event.eventId,
      position: event.position,
      recordedAt: event.metadata.recordedAt,
      signer: d.signer.name,
      email: d.signer.email,
      meaning: d.meaning,
      signedAt: d.signedAt,
      comment: d.comment ?? null,
      hash: signed.hash,
      statement: signatureInWords(d),
    },
  ]);
}
