import { createHash } from 'node:crypto';
import { type Decider, DomainError, type DomainEvent } from '../domain/index.ts';
import { samePayload } from '../domain/same-payload.ts';
import type { RecordedEvent } from '../eventstore/port.ts';
import type { CommandContext, CommandResult } from './command-context.ts';
import { foldHistory } from './folded-streams.ts';

/**
 * Whose Idempotency-Keys a command's key is one of: the API key's id when an API key sent it
 * (two keys never share one, even when their holders' names repeat), else `recordedBy` (the
 * CLI's own writers, such as `ledger seed-example`); prefixed, so a writer named like a key id
 * is another scope.
 */
export const idempotencyScope = (context: Pick<CommandContext, 'keyId' | 'recordedBy'>): string =>
  context.keyId === undefined ? context.recordedBy : `key:${context.keyId}`;

/**
 * The ids of the events a command with an Idempotency-Key records, derived from its scope
 * (idempotencyScope) and the key: a retry (even after a restart, even after a lost response) finds its own events in
 * the ledger by id, so the ledger itself is the idempotency record and a retry is never
 * written twice. Formatted as RFC 9562 UUID version 8 (custom).
 */
export function idempotentEventId(scope: string, key: string, index: number): string {
  const h = createHash('sha256').update(`${scope}\n${key}\n${index}`).digest();
  h[6] = ((h[6] as number) & 0x0f) | 0x80;
  h[8] = ((h[8] as number) & 0x3f) | 0x80;
  const hex = h.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The same Idempotency-Key came with a different request; nothing was written. */
export class IdempotencyKeyReusedError extends Error {
  override readonly name = 'IdempotencyKeyReusedError';
  /** The API's answer (api/plugins/errors.ts reads these; nothing there names this class). */
  readonly problemStatus = 422;
  readonly problemType = 'idempotency-key-reused';
  readonly problemTitle = 'Idempotency-Key reused';
  constructor(readonly key: string) {
    super(`Idempotency-Key ${key} was already used for a different request`);
  }
}

/**
 * A retry of a command already recorded under this Idempotency-Key: its events are in the
 * stream under the derived ids. It is the same request when deciding it again on the state
 * before those events gives the same events; then the original result is returned. Null when
 * the stream holds no event under the first derived id.
 */
export function earlierAttempt<C, E extends DomainEvent, S>(
  decider: Decider<C, E, S>,
  history: readonly RecordedEvent[],
  command: C,
  eventId: (index: number) => string,
  key: string,
): CommandResult | null {
  const first = history.findIndex((e) => e.eventId === eventId(0));
  if (first < 0) return null;
  const recorded: RecordedEvent[] = [];
  for (
    let e = history[first];
    e?.eventId === eventId(recorded.length);
    e = history[first + recorded.length]
  )
    recorded.push(e);
  const decided = decider.decide(command, foldHistory(decider, history.slice(0, first)).state);
  const same =
    !(decided instanceof DomainError) &&
    decided.length === recorded.length &&
    decided.every((e, i) => e.type === recorded[i]?.type && samePayload(e.data, recorded[i]?.data));
  const last = recorded.at(-1);
  if (!same || !last) throw new IdempotencyKeyReusedError(key);
  return {
    stream: last.stream,
    events: recorded.map((e) => ({
      eventId: e.eventId,
      revision: e.revision,
      position: e.position,
    })),
    revision: last.revision,
    position: last.position,
    replayed: true,
  };
}
