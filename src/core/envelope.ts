/**
 * The event envelope every layer shares (docs/design.md, "Event envelope"): what a writer
 * supplies, and what a store records. Payloads are opaque JSON here; the domain gives them
 * meaning.
 */

/** What a writer supplies; the store stamps `recordedAt`, `prevHash` and `hash`. */
export interface AppendMetadata {
  recordedBy: string;
  correlationId: string;
  causationId: string | null;
  idempotencyKey?: string;
  /** The id of the API key that sent the command (absent for events written without one). */
  keyId?: string;
  schemaVersion: number;
}

export interface RecordedMetadata extends AppendMetadata {
  /** Server instant (ISO 8601, UTC, millisecond precision) at which the batch committed. */
  recordedAt: string;
  prevHash: string;
  hash: string;
}

export interface EventToAppend {
  eventId: string;
  type: string;
  data: unknown;
  metadata: AppendMetadata;
}

export interface RecordedEvent {
  eventId: string;
  stream: string;
  /** 0-based position in its stream. */
  revision: number;
  /** Global, strictly increasing across the whole store, always >= 1 (sqlite and memory: 1, 2, 3, ...). */
  position: number;
  type: string;
  data: unknown;
  metadata: RecordedMetadata;
}
