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
import { sameContent } from '../domain/same-content.ts';
import { EventIdConflictError, StreamRevisionConflictError } from '../eventstore/errors.ts';
import type { AppendedEvent, EventStore, RecordedEvent } from '../eventstore/port.ts';
import { IdempotencyKeyReusedError, idempotentEventId } from './idempotency.ts';

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
  /** True when this was a retry of a command already recorded under its Idempotency-Key. */
  replayed: boolean;
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
  const { idempotencyKey: key, recordedBy } = context;
  const eventId = (index: number) =>
    key ? idempotentEventId(recordedBy, key, index) : randomUUID();
  for (let attempt = 1; ; attempt++) {
    const history = await store.readStream(stream);
    if (key) {
      const retried = earlierAttempt(history, decider, command, eventId, key);
      if (retried) return retried;
    }
    const revision = history.length - 1;
    if (context.expectedRevision !== undefined && context.expectedRevision !== revision)
      throw new StreamRevisionConflictError(stream, context.expectedRevision, revision);
    const decided = decider.decide(command, fold(decider, history));
    if (decided instanceof DomainError) throw decided;
    if (decided.length === 0)
      return {
        stream,
        events: [],
        revision,
        position: history.at(-1)?.position ?? 0,
        replayed: false,
      };
    const correlationId = context.correlationId ?? randomUUID();
    try {
      const result = await store.append(
        stream,
        decided.map((e, index) => ({
          eventId: eventId(index),
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
        replayed: false,
      };
    } catch (error) {
      // The derived ids were stored since we read the stream: either a concurrent retry of this
      // same request won the race (answer with its result), or the key was used for another
      // request (in this stream or another one).
      if (key && error instanceof EventIdConflictError) {
        const retried = earlierAttempt(
          await store.readStream(stream),
          decider,
          command,
          eventId,
          key,
        );
        if (retried) return retried;
        throw new IdempotencyKeyReusedError(key);
      }
      const retry =
        error instanceof StreamRevisionConflictError &&
        context.expectedRevision === undefined &&
        attempt < MAX_ATTEMPTS;
      if (!retry) throw error;
    }
  }
}

function fold<E extends DomainEvent, S>(
  decider: Decider<unknown, E, S>,
  history: readonly RecordedEvent[],
): S {
  return history.reduce((s, e) => decider.evolve(s, toIdentified<E>(e)), decider.initialState());
}

/**
 * A retry of a command already recorded under this Idempotency-Key: its events are in the
 * stream under the derived ids. It is the same request when deciding it again on the state
 * before those events gives the same events; then the original result is returned.
 */
function earlierAttempt<C, E extends DomainEvent, S>(
  history: readonly RecordedEvent[],
  decider: Decider<C, E, S>,
  command: C,
  eventId: (index: number) => string,
  key: string,
): CommandResult | null {
  const first = history.findIndex((e) => e.eventId === eventId(0));
  if (first < 0) return null;
  const recorded: RecordedEvent[] = [];
  for (let i = first; history[i]?.eventId === eventId(recorded.length); i++)
    recorded.push(history[i] as RecordedEvent);
  const decided = decider.decide(command, fold(decider, history.slice(0, first)));
  const same =
    !(decided instanceof DomainError) &&
    decided.length === recorded.length &&
    decided.every((e, i) => e.type === recorded[i]?.type && sameContent(e.data, recorded[i]?.data));
  if (!same) throw new IdempotencyKeyReusedError(key);
  const last = recorded.at(-1) as RecordedEvent;
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
