import { type AsKnownAt, knownAt, validDate } from '../src/domain/index.ts';
import type { RecordedEvent } from '../src/eventstore/port.ts';
import { eventInWords } from './event-words.ts';
import { toFact } from './facts.ts';
import type { SignatureOnEvent } from './signatures.ts';

export interface AuditEntry {
  position: number;
  recordedAt: string;
  /** The name of the API key that recorded the event. */
  recordedBy: string;
  /** That key's id, when the event was recorded with one. */
  keyId: string | null;
  /** The printed name of the person the key belongs to, when one is registered for it. */
  person: string | null;
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
  /** For a correcting fact: the retracted event it corrects. */
  corrects: string | null;
  /** For a corrected event: the fact that corrects it, if it is known at the asked moment. */
  correctedBy: string | null;
  /**
   * For a retracted event, beside it: "Retracted on … by …: reason; corrected by event …"
   * (§11.10(e): the original stays visible, with why, who and when it changed).
   */
  change: string | null;
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
  personOf: (keyId: string) => string | null = () => null,
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
      reason?: string;
      corrects?: string;
    };
    const retracts = e.type === 'EventRetracted' ? (data.retractedEventId ?? null) : null;
    const keyId = e.metadata.keyId ?? null;
    const entry: AuditEntry = {
      position: e.position,
      recordedAt: e.metadata.recordedAt,
      recordedBy: e.metadata.recordedBy,
      keyId,
      person: keyId ? personOf(keyId) : null,
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
      corrects: data.corrects ?? null,
      correctedBy: null,
      change: null,
      signatures: signaturesOf(e.eventId).filter(isKnown),
    };
    entries.set(e.eventId, entry);
    const retracted = retracts ? entries.get(retracts) : undefined;
    if (retracted) {
      retracted.retractedBy = e.eventId;
      retracted.change = `Retracted on ${minute(e.metadata.recordedAt)} by ${who(entry)}: ${data.reason}`;
    }
    const corrected = entry.corrects ? entries.get(entry.corrects) : undefined;
    if (corrected) {
      corrected.correctedBy = e.eventId;
      corrected.change = `${corrected.change ?? 'Retracted'}; corrected by event ${e.eventId}`;
    }
  }
  return [...entries.values()];
}

/** Who recorded an entry: the person's printed name and the key, or the key's name alone. */
export const who = (e: Pick<AuditEntry, 'person' | 'recordedBy'>): string =>
  e.person ? `${e.person} (key ${e.recordedBy})` : `key ${e.recordedBy}`;

const minute = (instant: string) => `${instant.slice(0, 10)} ${instant.slice(11, 16)} UTC`;
