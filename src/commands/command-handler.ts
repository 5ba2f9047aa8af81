import { randomUUID } from 'node:crypto';
import {
  type Decider,
  DomainError,
  type DomainEvent,
  EVENT_SCHEMA_VERSION,
  type Identified,
} from '../domain/index.ts';
import { EventIdConflictError, StreamRevisionConflictError } from '../eventstore/errors.ts';
import type { AppendResult, EventStore } from '../eventstore/port.ts';
import type { CommandContext, CommandResult } from './command-context.ts';
import { type Folded, type FoldedStreams, foldedStreams } from './folded-streams.ts';
import {
  earlierAttempt,
  IdempotencyKeyReusedError,
  idempotencyScope,
  idempotentEventId,
} from './idempotency.ts';
import { DEFAULT_RETRY_MS, retrying } from './retry.ts';
import { type StreamQueue, streamQueue } from './stream-queue.ts';

/** Handles one command on the aggregate `id` names; a refusal is thrown as the DomainError. */
export type CommandHandler<Command> = (
  store: EventStore,
  id: string,
  command: Command,
  context: CommandContext,
) => Promise<CommandResult>;

export interface CommandHandlerOptions<C, E extends DomainEvent, S> {
  decider: Decider<C, E, S>;
  /** The stream an aggregate id names. */
  streamOf: (id: string) => string;
  /** A check that reads other streams, run before the command waits its turn on its stream. */
  precondition?: (store: EventStore, command: C) => Promise<void>;
}

/** What a handler keeps per store: its streams' queue and their folded state. */
interface StoreWork<S> {
  queue: StreamQueue;
  folded: FoldedStreams<S>;
}

/**
 * A command handler for one decider, as Emmett's DeciderCommandHandler: read what is new in the
 * stream, fold it, decide, append at exactly the revision folded. A decision made on a stale
 * state is never written: an append from another process makes ours conflict, and we decide
 * again after a backoff (unless the client fixed the revision it expected, which then is its
 * conflict to handle).
 */
export function commandHandler<C, E extends DomainEvent, S>(
  options: CommandHandlerOptions<C, E, S>,
): CommandHandler<C> {
  const { decider, streamOf, precondition } = options;
  const work = new WeakMap<EventStore, StoreWork<S>>();

  function workOf(store: EventStore): StoreWork<S> {
    let w = work.get(store);
    if (!w) {
      w = { queue: streamQueue(), folded: foldedStreams(decider) };
      work.set(store, w);
    }
    return w;
  }

  /**
   * One attempt. A command with an Idempotency-Key first looks up the first event id derived
   * from its key, by index: only a retry finds it, and only a retry then reads its stream to
   * compare itself with the events it recorded before.
   */
  async function attempt(
    store: EventStore,
    folded: FoldedStreams<S>,
    stream: string,
    command: C,
    context: CommandContext,
  ): Promise<CommandResult> {
    const key = context.idempotencyKey;
    const eventId =
      key === undefined
        ? () => randomUUID()
        : (index: number) => idempotentEventId(idempotencyScope(context), key, index);
    if (key !== undefined && (await store.findEvent(eventId(0))) !== null) {
      return (
        earlierAttempt(decider, await store.readStream(stream), command, eventId, key) ??
        reused(key)
      );
    }
    const current = await folded.catchUp(store, stream);
    checkExpected(stream, context, current.revision);
    const decided = decider.decide(command, current.state);
    if (decided instanceof DomainError) throw decided;
    if (decided.length === 0) return unchanged(stream, current);
    const identified = decided.map((e, index) => ({ ...e, eventId: eventId(index) }));
    let result: AppendResult;
    try {
      result = await store.append(stream, toAppend(identified, context), {
        expectedRevision: current.revision < 0 ? 'no-stream' : current.revision,
      });
    } catch (error) {
      // The derived ids were stored since we read the stream: a retry of this same request in
      // another process won the race (answer with its result), or the key was used for another
      // request (in this stream or another one).
      if (key === undefined || !(error instanceof EventIdConflictError)) throw error;
      return (
        earlierAttempt(decider, await store.readStream(stream), command, eventId, key) ??
        reused(key)
      );
    }
    // The append proved nothing else was written since: fold our own events in.
    const state = identified.reduce(decider.evolve, current.state);
    folded.remember(stream, {
      state,
      revision: result.nextExpectedRevision,
      position: result.position,
    });
    return recorded(stream, result);
  }

  return async (store, id, command, context) => {
    await precondition?.(store, command);
    const stream = streamOf(id);
    const { queue, folded } = workOf(store);
    const deadline = context.deadline ?? Date.now() + DEFAULT_RETRY_MS;
    return queue(stream, () =>
      retrying(
        stream,
        () => attempt(store, folded, stream, command, context),
        (error) => retriable(error, context),
        deadline,
      ),
    );
  };
}

/** The key's events are stored, but in another stream: the key was used for another request. */
function reused(key: string): never {
  throw new IdempotencyKeyReusedError(key);
}

/**
 * Another process moved the stream under a command that named no revision: decide again, until
 * the deadline. Only a command that stated its expected revision ever sees the conflict.
 */
const retriable = (error: unknown, context: CommandContext) =>
  error instanceof StreamRevisionConflictError && context.expectedRevision === undefined;

function checkExpected(stream: string, context: CommandContext, revision: number): void {
  if (context.expectedRevision !== undefined && context.expectedRevision !== revision)
    throw new StreamRevisionConflictError(stream, context.expectedRevision, revision);
}

function toAppend<E extends DomainEvent>(
  decided: readonly Identified<E>[],
  context: CommandContext,
) {
  const correlationId = context.correlationId ?? randomUUID();
  return decided.map((e) => ({
    eventId: e.eventId,
    type: e.type,
    data: e.data,
    metadata: {
      recordedBy: context.recordedBy,
      correlationId,
      causationId: context.causationId ?? null,
      schemaVersion: EVENT_SCHEMA_VERSION,
      ...(context.idempotencyKey ? { idempotencyKey: context.idempotencyKey } : {}),
      ...(context.keyId ? { keyId: context.keyId } : {}),
    },
  }));
}

const unchanged = (stream: string, folded: Folded<unknown>): CommandResult => ({
  stream,
  events: [],
  revision: folded.revision,
  position: folded.position,
  replayed: false,
});

const recorded = (stream: string, result: AppendResult): CommandResult => ({
  stream,
  events: result.events,
  revision: result.nextExpectedRevision,
  position: result.position,
  replayed: false,
});
