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
import type { AppendedEvent, AppendResult, EventStore, RecordedEvent } from '../eventstore/port.ts';
import { IdempotencyKeyReusedError, idempotentEventId } from './idempotency.ts';

/** Who asks, and how the request ties to others (docs/design.md §6 "Event envelope"). */
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

/** Optimistic retries when a writer in another process moved the stream between read and append. */
const MAX_ATTEMPTS = 5;

/** Streams whose folded state stays in memory between commands (most recently used kept). */
const CACHED_STREAMS = 5000;

interface Folded {
  state: unknown;
  revision: number;
  position: number;
}

/**
 * What one process keeps per store: a queue per stream, so its own writers never race each other
 * (a race would turn into a conflict the client never asked for), and each stream's folded
 * state, so a command reads only the events recorded since the last one instead of the whole
 * stream.
 */
interface StreamWork {
  queues: Map<string, Promise<unknown>>;
  folded: Map<string, Folded>;
}

const work = new WeakMap<EventStore, StreamWork>();

function workOf(store: EventStore): StreamWork {
  let w = work.get(store);
  if (!w) {
    w = { queues: new Map(), folded: new Map() };
    work.set(store, w);
  }
  return w;
}

/** Runs `task` after every earlier task on the same stream has settled. */
function queued<T>(w: StreamWork, stream: string, task: () => Promise<T>): Promise<T> {
  const previous = w.queues.get(stream) ?? Promise.resolve();
  const next = previous.then(task, task);
  const settled = next.then(
    () => undefined,
    () => undefined,
  );
  w.queues.set(stream, settled);
  void settled.then(() => {
    if (w.queues.get(stream) === settled) w.queues.delete(stream);
  });
  return next;
}

/**
 * Read what is new in the stream, fold it, decide, append at exactly the revision folded. A
 * decision made on a stale state is never written: an append from another process makes ours
 * conflict, and we decide again (unless the client fixed the revision it expected, which then
 * is its conflict to handle). A refusal is thrown as the DomainError; nothing is written.
 */
function handle<C, E extends DomainEvent, S>(
  store: EventStore,
  stream: string,
  decider: Decider<C, E, S>,
  command: C,
  context: CommandContext,
): Promise<CommandResult> {
  const w = workOf(store);
  return queued(w, stream, () =>
    context.idempotencyKey
      ? handleKeyed(store, w, stream, decider, command, context, context.idempotencyKey)
      : handleUnkeyed(store, w, stream, decider, command, context),
  );
}

async function handleUnkeyed<C, E extends DomainEvent, S>(
  store: EventStore,
  w: StreamWork,
  stream: string,
  decider: Decider<C, E, S>,
  command: C,
  context: CommandContext,
): Promise<CommandResult> {
  for (let attempt = 1; ; attempt++) {
    const folded = await catchUp(store, w, stream, decider);
    checkExpected(stream, context, folded.revision);
    const decided = decider.decide(command, folded.state as S);
    if (decided instanceof DomainError) throw decided;
    if (decided.length === 0) return unchanged(stream, folded);
    const events = toAppend(decided, () => randomUUID(), context);
    try {
      const result = await store.append(stream, events, { expectedRevision: expectedOf(folded) });
      // The append proved nothing else was written since: fold our own events in place.
      events.forEach((e, i) => {
        folded.state = decider.evolve(
          folded.state as S,
          { ...e, eventId: e.eventId } as unknown as Identified<E>,
        );
        folded.revision = result.events[i]?.revision ?? folded.revision;
      });
      folded.position = result.position;
      return recorded(stream, result);
    } catch (error) {
      if (!retriable(error, context, attempt)) throw error;
    }
  }
}

/**
 * A command with an Idempotency-Key reads its whole stream: a retry must find the events it
 * recorded before (under the ids derived from the key) and compare itself with them.
 */
async function handleKeyed<C, E extends DomainEvent, S>(
  store: EventStore,
  w: StreamWork,
  stream: string,
  decider: Decider<C, E, S>,
  command: C,
  context: CommandContext,
  key: string,
): Promise<CommandResult> {
  const eventId = (index: number) => idempotentEventId(context.recordedBy, key, index);
  for (let attempt = 1; ; attempt++) {
    const history = await store.readStream(stream);
    const retried = earlierAttempt(history, decider, command, eventId, key);
    if (retried) return retried;
    const revision = history.length - 1;
    checkExpected(stream, context, revision);
    const decided = decider.decide(command, fold(decider, history));
    if (decided instanceof DomainError) throw decided;
    const position = history.at(-1)?.position ?? 0;
    if (decided.length === 0) return unchanged(stream, { state: null, revision, position });
    try {
      const result = await store.append(stream, toAppend(decided, eventId, context), {
        expectedRevision: revision < 0 ? 'no-stream' : revision,
      });
      w.folded.delete(stream);
      return recorded(stream, result);
    } catch (error) {
      // The derived ids were stored since we read the stream: a retry of this same request in
      // another process won the race (answer with its result), or the key was used for another
      // request (in this stream or another one).
      if (error instanceof EventIdConflictError) {
        const again = earlierAttempt(
          await store.readStream(stream),
          decider,
          command,
          eventId,
          key,
        );
        if (again) return again;
        throw new IdempotencyKeyReusedError(key);
      }
      if (!retriable(error, context, attempt)) throw error;
    }
  }
}

/** The stream's folded state, brought up to date with what was recorded since it was folded. */
async function catchUp<E extends DomainEvent, S>(
  store: EventStore,
  w: StreamWork,
  stream: string,
  decider: Decider<unknown, E, S>,
): Promise<Folded> {
  const folded = w.folded.get(stream) ?? {
    state: decider.initialState(),
    revision: -1,
    position: 0,
  };
  w.folded.delete(stream);
  const newer = await store.readStream(stream, { fromRevision: folded.revision + 1 });
  for (const e of newer) folded.state = decider.evolve(folded.state as S, toIdentified<E>(e));
  const last = newer.at(-1);
  if (last) {
    folded.revision = last.revision;
    folded.position = last.position;
  }
  w.folded.set(stream, folded);
  if (w.folded.size > CACHED_STREAMS) w.folded.delete(w.folded.keys().next().value as string);
  return folded;
}

/** Another process moved the stream under a command that named no revision: decide again. */
function retriable(error: unknown, context: CommandContext, attempt: number): boolean {
  return (
    error instanceof StreamRevisionConflictError &&
    context.expectedRevision === undefined &&
    attempt < MAX_ATTEMPTS
  );
}

function checkExpected(stream: string, context: CommandContext, revision: number): void {
  if (context.expectedRevision !== undefined && context.expectedRevision !== revision)
    throw new StreamRevisionConflictError(stream, context.expectedRevision, revision);
}

const expectedOf = (folded: Folded) =>
  folded.revision < 0 ? ('no-stream' as const) : folded.revision;

function toAppend(
  decided: readonly DomainEvent[],
  eventId: (index: number) => string,
  context: CommandContext,
) {
  const correlationId = context.correlationId ?? randomUUID();
  return decided.map((e, index) => ({
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
  }));
}

const unchanged = (stream: string, folded: Folded): CommandResult => ({
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
function toIdentified<E extends DomainEvent>(
  e: Pick<RecordedEvent, 'eventId' | 'type' | 'data'>,
): Identified<E> {
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
