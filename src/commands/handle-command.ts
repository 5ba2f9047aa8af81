import { randomUUID } from 'node:crypto';
import {
  DomainError,
  type DomainEvent,
  type Identified,
  type ProgramCommand,
  type ProgramEvent,
  programDecider,
  SCHEMA_VERSION,
  type SpecificationCommand,
  type SpecificationEvent,
  specificationDecider,
  streams,
} from '../domain/index.ts';
import { StreamRevisionConflictError } from '../eventstore/errors.ts';
import type { AppendedEvent, EventStore, RecordedEvent } from '../eventstore/port.ts';

/** Who asks, and how the request ties to others (DESIGN §6 "Event envelope"). */
export interface CommandContext {
  recordedBy: string;
  correlationId?: string;
  causationId?: string | null;
  idempotencyKey?: string;
  /** The stream revision the client last saw; absent means "whatever it is now". */
  expectedRevision?: number;
}

export interface CommandResult {
  stream: string;
  /** The events this command recorded: empty when it repeated a fact already on record. */
  events: AppendedEvent[];
  /** The stream's last revision after the command. */
  revision: number;
  /** The global position after the command: read models at this position show its effect. */
  position: number;
}

interface Decider<C, E extends DomainEvent, S> {
  decide(command: C, state: S): E[] | DomainError;
  evolve(state: S, event: Identified<E>): S;
  initialState(): S;
}

/** Optimistic retries when another writer moved the stream between our read and our append. */
const MAX_ATTEMPTS = 5;

/**
 * Read the stream, fold it, decide, append at exactly the revision read. A decision made on a
 * stale state is never written: a concurrent append makes ours conflict, and we decide again
 * (unless the client fixed the revision it expected, which then is its conflict to handle).
 * A refusal is thrown as the DomainError; nothing is written.
 */
async function handle<C, E extends DomainEvent, S>(
  store: EventStore,
  stream: string,
  decider: Decider<C, E, S>,
  command: C,
  context: CommandContext,
): Promise<CommandResult> {
  for (let attempt = 1; ; attempt++) {
    const history = await store.readStream(stream);
    const revision = history.length - 1;
    if (context.expectedRevision !== undefined && context.expectedRevision !== revision)
      throw new StreamRevisionConflictError(stream, context.expectedRevision, revision);
    const state = history.reduce(
      (s, e) => decider.evolve(s, toIdentified<E>(e)),
      decider.initialState(),
    );
    const decided = decider.decide(command, state);
    if (decided instanceof DomainError) throw decided;
    if (decided.length === 0)
      return { stream, events: [], revision, position: history.at(-1)?.position ?? 0 };
    const correlationId = context.correlationId ?? randomUUID();
    try {
      const result = await store.append(
        stream,
        decided.map((e) => ({
          eventId: randomUUID(),
          type: e.type,
          data: e.data,
          metadata: {
            recordedBy: context.recordedBy,
            correlationId,
            causationId: context.causationId ?? null,
            schemaVersion: SCHEMA_VERSION,
            ...(context.idempotencyKey ? { idempotencyKey: context.idempotencyKey } : {}),
          },
        })),
        { expectedRevision: revision < 0 ? 'no-stream' : revision },
      );
      return {
        stream,
        events: result.events,
        revision: result.nextExpectedRevision,
        position: result.position,
      };
    } catch (error) {
      const retry =
        error instanceof StreamRevisionConflictError &&
        context.expectedRevision === undefined &&
        attempt < MAX_ATTEMPTS;
      if (!retry) throw error;
    }
  }
}

/** Events from the ledger were validated before they were written, so they are folded as they are. */
function toIdentified<E extends DomainEvent>(e: RecordedEvent): Identified<E> {
  return { eventId: e.eventId, type: e.type, data: e.data } as unknown as Identified<E>;
}

export const handleSpecificationCommand = (
  store: EventStore,
  specificationId: string,
  command: SpecificationCommand,
  context: CommandContext,
) =>
  handle<
    SpecificationCommand,
    SpecificationEvent,
    ReturnType<typeof specificationDecider.initialState>
  >(store, streams.specification(specificationId), specificationDecider, command, context);

export const handleProgramCommand = (
  store: EventStore,
  programId: string,
  command: ProgramCommand,
  context: CommandContext,
) =>
  handle<ProgramCommand, ProgramEvent, ReturnType<typeof programDecider.initialState>>(
    store,
    streams.program(programId),
    programDecider,
    command,
    context,
  );
