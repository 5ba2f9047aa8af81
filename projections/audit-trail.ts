import { type AsKnownAt, knownAt, validDate } from '../src/domain/index.ts';
import type { RecordedEvent } from '../src/eventstore/port.ts';
import { eventInWords } from './event-words.ts';
import { toFact } from './facts.ts';
import type { SignatureOnEvent } from './signatures.ts';

export interface AuditEntry {
  position: number;
  recordedAt: string;
  recordedBy: string;
  stream: string;
  revision: number;
  eventId: string;
  type: string;
  validDate: string | null;
  documentRef: string | null;
  /** The cited document's SHA-256, when it was recorded with the fact. */
  documentSha256: string | null;
  /** The event's content in words (eventInWords). */
  content: string;
  hash: string;
  prevHash: string;
  /** For a retraction: the event it retracts. */
  retracts: string | null;
  /** For a retracted event: the retraction, if it is known at the asked moment. */
  retractedBy: string | null;
  /** The signatures on the event known at the asked moment; they stay when it is retracted. */
  signatures: SignatureOnEvent[];
}

/**
 * The audit trail of a program: every event that affects it (its own stream and the streams of
 * the specifications its notices name), in record order, retractions linked both ways. It is
 * folded on demand from the streams, which the store already keeps in full, rather than held
 * twice in memory.
 */
export function auditTrail(
  events: readonly RecordedEvent[],
  asKnownAt?: AsKnownAt,
  signaturesOf: (eventId: string) => readonly SignatureOnEvent[] = () => [],
): AuditEntry[] {
  const isKnown = asKnownAt ? knownAt(asKnownAt) : () => true;
  const known = events
    .filter((e) => isKnown({ position: e.position, recordedAt: e.metadata.recordedAt }))
    .sort((a, b) => a.position - b.position);
  const entries = new Map<string, AuditEntry>();
  for (const e of known) {
    const fact = toFact(e);
    const data = e.data as {
      documentRef?: string;
      documentSha256?: string;
      retractedEventId?: string;
    };
    const retracts = e.type === 'EventRetracted' ? (data.retractedEventId ?? null) : null;
    entries.set(e.eventId, {
      position: e.position,
      recordedAt: e.metadata.recordedAt,
      recordedBy: e.metadata.recordedBy,
      stream: e.stream,
      revision: e.revision,
      eventId: e.eventId,
      type: e.type,
      validDate: fact ? validDate(fact) : null,
      documentRef: data.documentRef ?? null,
      documentSha256: data.documentSha256 ?? null,
      content: eventInWords(e),
      hash: e.metadata.hash,
      prevHash: e.metadata.prevHash,
      retracts,
      retractedBy: null,
      signatures: signaturesOf(e.eventId).filter(isKnown),
    });
    const target = retracts ? entries.get(retracts) : undefined;
    if (target) target.retractedBy = e.eventId;
  }
  return [...entries.values()];
}
