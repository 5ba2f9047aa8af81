import type { AppendedEvent } from '../eventstore/port.ts';

/** Who asks, and how the request ties to others (docs/design.md §6 "Event envelope"). */
export interface CommandContext {
  recordedBy: string;
  /**
   * The id of the API key that sent the command, recorded beside `recordedBy`. It scopes the
   * Idempotency-Key: names can repeat over time, key ids never do.
   */
  keyId?: string;
  correlationId?: string;
  causationId?: string | null;
  idempotencyKey?: string;
  /** The stream revision the client last saw; absent means "whatever it is now". */
  expectedRevision?: number;
  /**
   * When (epoch ms) a command without an expected revision stops deciding again after other
   * writers moved its stream (StreamContendedError); the API sets it from its request timeout.
   */
  deadline?: number;
}

export interface CommandResult {
  stream: string;
  /** The events this command recorded: empty when it repeated a fact already on record. */
  events: AppendedEvent[];
  /** The stream's last revision after the command. */
  revision: number;
  /** The global position after the command: read models at this position show its effect. */
  position: number;
  /** True when this was a retry of a command already recorded under its Idempotency-Key. */
  replayed: boolean;
}
