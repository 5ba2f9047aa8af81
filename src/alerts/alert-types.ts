import { z } from 'zod';

/** What a subscription can ask to be told (docs/design.md, "Alerts"). */
export const AlertType = z.enum([
  'ledger.status.changed',
  'ledger.deadline.approaching',
  'ledger.violation.recorded',
  'ledger.letter.recorded',
  'ledger.integrity.alarm',
]);
export type AlertType = z.infer<typeof AlertType>;

/**
 * One thing the ledger has to say, before it is fanned out to the subscriptions that want it.
 * `key` names it for good: the same alert derived twice (after a crash) has the same key, so the
 * same webhook-id.
 */
export interface Alert {
  key: string;
  type: AlertType;
  /** The program id, or the stream id for events of no program. */
  subject: string;
  /** The program the alert concerns, for subscriptions limited to some programs; null: none. */
  programId: string | null;
  /** When the ledger found it (ISO instant, the alert clock). */
  time: string;
  data: Record<string, unknown>;
}
