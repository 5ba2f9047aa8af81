import { createHash } from 'node:crypto';

/**
 * The ids of the events a command with an Idempotency-Key records, derived from who sent it and
 * the key: a retry (even after a restart, even after a lost response) finds its own events in
 * the ledger by id, so the ledger itself is the idempotency record and a retry is never
 * written twice. Formatted as RFC 9562 UUID version 8 (custom).
 */
export function idempotentEventId(principal: string, key: string, index: number): string {
  const h = createHash('sha256').update(`${principal}\n${key}\n${index}`).digest();
  h[6] = ((h[6] as number) & 0x0f) | 0x80;
  h[8] = ((h[8] as number) & 0x3f) | 0x80;
  const hex = h.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The same Idempotency-Key came with a different request; nothing was written. */
export class IdempotencyKeyReusedError extends Error {
  override readonly name = 'IdempotencyKeyReusedError';
  constructor(readonly key: string) {
    super(`Idempotency-Key ${key} was already used for a different request`);
  }
}
