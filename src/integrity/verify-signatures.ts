/**
 * The signature check of `ledger verify` and `ledger audit` (docs/design.md "Signatures"): the
 * offline verifier's verifySignatures, given each named event's hash as recomputed from its
 * content, so an event edited in place (its stored hash left alone) is named beside the signature
 * on it; and a signature event edited in place is named with the events it signs.
 */
import type { RecordedEvent } from '../core/envelope.ts';
import { hashEvent } from '../core/event-hash.ts';
import { type LedgerEventEnvelope, type SignatureReport, verifySignatures } from '../verify.ts';

/** Reads the ledger twice (`events` starts a new read each call): signatures, then what they name. */
export async function verifyLedgerSignatures(
  events: () => AsyncIterable<RecordedEvent>,
): Promise<SignatureReport> {
  const signatures: RecordedEvent[] = [];
  const named = new Set<string>();
  for await (const e of events()) {
    if (e.type !== 'SignatureRecorded') continue;
    signatures.push(e);
    for (const signed of (e.data as { events?: { eventId?: unknown }[] }).events ?? [])
      if (typeof signed?.eventId === 'string') named.add(signed.eventId);
  }
  if (signatures.length === 0) return { signatures: 0, problems: [] };
  const envelopes: LedgerEventEnvelope[] = [];
  for await (const e of events())
    if (named.has(e.eventId) && e.type !== 'SignatureRecorded') envelopes.push(asContentHashes(e));
  const report = verifySignatures([...envelopes, ...signatures.map(asContentHashes)]);
  for (const s of signatures) {
    if (hashEvent(s) === s.metadata.hash) continue;
    const signed = (s.data as { events?: { eventId?: unknown }[] }).events ?? [];
    report.problems.push({
      signatureId: s.eventId,
      eventId: null,
      message: `signature ${s.eventId} (position ${s.position}) on events ${signed.map((x) => x?.eventId).join(', ')} was altered after it was recorded: its content does not match its hash`,
    });
  }
  return report;
}

/** The event with the hash its content has now, which is the stored one unless it was edited. */
const asContentHashes = (e: RecordedEvent): LedgerEventEnvelope => ({
  eventId: e.eventId,
  position: e.position,
  type: e.type,
  data: e.data,
  metadata: { hash: hashEvent(e) },
});
