import { z } from 'zod';
import { type DomainError, refuse } from './errors.ts';
import { EventId, Text } from './identifiers.ts';

/**
 * Electronic signatures (docs/design.md "Signatures"; 21 CFR 11.50, 11.70): a person states
 * what their signature means on exactly the events named, each bound by its hash, so the Merkle
 * log that holds the signature holds those hashes too and the signature cannot move.
 */
export const Meaning = z.enum(['review', 'approval', 'responsibility', 'authorship']);
export type Meaning = z.infer<typeof Meaning>;

const Sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'is not 64 lower-case hex digits');

/** One event signed, by id and by the hash it had when signed. */
export const SignedEvent = z
  .object({ eventId: EventId, stream: z.string(), hash: Sha256Hex })
  .strict();
export type SignedEvent = z.infer<typeof SignedEvent>;

/** At most this many events under one signature: one review, not the whole ledger. */
export const MAX_SIGNED_EVENTS = 100;

export const SignatureRecorded = z
  .object({
    signer: z.object({ personId: z.string(), name: Text(200), email: Text(320) }).strict(),
    meaning: Meaning,
    /** The instant of signing (ISO 8601, UTC), as the server's clock read it. */
    signedAt: z.iso.datetime(),
    comment: Text(2000).optional(),
    events: z.array(SignedEvent).min(1).max(MAX_SIGNED_EVENTS),
  })
  .strict();
export type SignatureRecorded = z.infer<typeof SignatureRecorded>;

export type SignatureEvent = { type: 'SignatureRecorded'; data: SignatureRecorded };

/** The only command of a signer's stream: sign these events, as they are now. */
export type SignEvents = { type: 'SignEvents'; data: SignatureRecorded };

/** The event types a signature may not name: signing a signature would sign nothing recorded. */
const NOT_SIGNABLE = new Set(['SignatureRecorded']);

/**
 * The signature on `events`, as read from the ledger (type and hash included), or why not.
 * Each event once; never another signature.
 */
export function signatureOf(
  signer: SignatureRecorded['signer'],
  meaning: Meaning,
  comment: string | undefined,
  events: readonly (SignedEvent & { type: string })[],
  signedAt: string,
): SignatureRecorded | DomainError {
  const seen = new Set<string>();
  for (const e of events) {
    if (NOT_SIGNABLE.has(e.type))
      return refuse('not-signable', `event ${e.eventId} is a signature; sign the events it signs`);
    if (seen.has(e.eventId)) return refuse('not-signable', `event ${e.eventId} is named twice`);
    seen.add(e.eventId);
  }
  return {
    signer,
    meaning,
    signedAt,
    ...(comment === undefined ? {} : { comment }),
    events: events.map(({ eventId, stream, hash }) => ({ eventId, stream, hash })),
  };
}

/** A signer's stream holds their signatures; each is recorded as signed, nothing to fold. */
export const signatureDecider = {
  decide: (command: SignEvents): SignatureEvent[] => [
    { type: 'SignatureRecorded', data: command.data },
  ],
  evolve: (state: null): null => state,
  initialState: (): null => null,
};

const MEANING_WORDS: Record<Meaning, string> = {
  review: 'Reviewed',
  approval: 'Approved',
  responsibility: 'Responsibility taken',
  authorship: 'Authored',
};

/** "Approved by Jane Doe on 2007-05-16 14:02 UTC: comment" (11.50: name, time, meaning). */
export function signatureInWords(
  s: Pick<SignatureRecorded, 'signer' | 'meaning' | 'signedAt' | 'comment'>,
): string {
  const when = `${s.signedAt.slice(0, 10)} ${s.signedAt.slice(11, 16)} UTC`;
  return `${MEANING_WORDS[s.meaning]} by ${s.signer.name} on ${when}${s.comment ? `: ${s.comment}` : ''}`;
}
