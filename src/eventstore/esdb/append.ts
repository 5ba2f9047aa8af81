/**
 * Appends on KurrentDB / EventStoreDB: read the stream, seal on its last event (prevHash,
 * revision), append with exactly that revision, so a stream's hash chain cannot fork even when
 * the caller said `any` or `stream-exists` (those re-read and re-seal a few times when another
 * writer got in first). Then, whatever the server answered, the events are read back and
 * compared with what was sent, because the server's "success" does not prove they are ours.
 */

import { setTimeout as sleep } from 'node:timers/promises';
import {
  ErrorType,
  type EventData,
  isCommandError,
  jsonEvent,
  MaxAppendSizeExceededError,
  NO_STREAM,
  StreamDeletedError as ServerStreamDeletedError,
  StreamNotFoundError,
  WrongExpectedVersionError,
} from '@eventstore/db-client';
import { type LockedState, type Outcome, planBatch } from '../append-plan.ts';
import {
  assertAppendable,
  type EventSnapshot,
  retriedAppendResult,
  snapshotEvent,
} from '../append-rules.ts';
import { AppendTooLargeError, DeletedStreamError, EventIdConflictError } from '../errors.ts';
import type {
  AppendOptions,
  AppendResult,
  EventToAppend,
  ExpectedRevision,
  RecordedEvent,
} from '../port.ts';
import type { EsdbClient, EsdbStoreOptions } from './client.ts';
import {
  backoffDelay,
  exactExpectedRevision,
  LOWERCASE_UUID,
  RESERVATION_TYPE,
  reservationStream,
  sizeOnDisk,
  toConflictError,
  toEventData,
} from './mapping.ts';
import { esdbMetrics } from './metrics.ts';
import { readStreamFrom } from './reads.ts';

export interface Appender {
  append(stream: string, events: EventToAppend[], options: AppendOptions): Promise<AppendResult>;
  /** The event under `eventId`: its reservation names its stream, read to find it. */
  findEvent(eventId: string): Promise<RecordedEvent | null>;
}

export function createAppender(client: EsdbClient, options: EsdbStoreOptions): Appender {
  /**
   * The latest instant this process stamped: its stamps never go back. Appends run side by
   * side (none waits for another's answer), so along $all recordedAt is ordered only up to
   * the commit order of concurrent appends: see knownAt in the design notes.
   */
  let lastRecordedAt: string | undefined;

  async function append(
    stream: string,
    events: EventToAppend[],
    appendOptions: AppendOptions,
  ): Promise<AppendResult> {
    assertAppendable(stream, events, appendOptions);
    for (const event of events) {
      if (!LOWERCASE_UUID.test(event.eventId)) {
        throw new TypeError(
          `append to ${stream}: event id ${event.eventId} must be a lowercase UUID on this store`,
        );
      }
    }
    const { expectedRevision } = appendOptions;
    // The data as it will read back, and its canonical JSON; refused before anything is written.
    const stored = events.map((event) => snapshotEvent(stream, event));
    const retries = expectedRevision === 'any' || expectedRevision === 'stream-exists';
    let reserved = false;
    for (let attempt = 1; ; attempt++) {
      const history = await readLedgerStream(stream);
      // The plan every store runs, for one append: a retry is answered from the stream, the
      // expectation checked, the events sealed; sized before anything is written.
      const sized = planOn(stream, stored, expectedRevision, history);
      if ('retried' in sized) return sized.retried;
      checkSize(stream, sized.sealed);
      if (!reserved) {
        await reserve(stream, events);
        reserved = true;
      }
      // Stamped right before it is sent: the stamps of this process's appends then follow the
      // order in which they reach the server.
      const planned = planOn(stream, stored, expectedRevision, history);
      if ('retried' in planned) return planned.retried;
      const { sealed } = planned;
      lastRecordedAt = sealed[0]?.metadata.recordedAt;
      const actual = history.at(-1)?.revision ?? -1;
      try {
        await send(stream, sealed, actual);
      } catch (error) {
        if (error instanceof ServerStreamDeletedError) {
          throw new DeletedStreamError(stream, 'tombstoned');
        }
        if (error instanceof MaxAppendSizeExceededError) {
          throw new AppendTooLargeError(
            stream,
            totalSize(sealed),
            error.maxAppendSize,
            'the append',
          );
        }
        if (!(error instanceof WrongExpectedVersionError)) throw error;
        // Another writer got in between our read and our append. `any` / `stream-exists`
        // re-read and re-seal on the new head; the next pass also spots a replay.
        if (retries && attempt < options.appendAttempts) continue;
        // The winner may have been this very batch, sent by a retry racing its original.
        const again = retriedIn(stream, events, expectedRevision, await readLedgerStream(stream));
        if (again !== undefined) return again;
        throw toConflictError(stream, expectedRevision, error);
      }
      // The server also answers success, writing nothing, when an expected revision behind the
      // head names events already stored with these ids, whatever their content (IndexWriter.cs
      // CheckCommit, 210-251): so the result is what the stream holds under our ids.
      const written = await readStreamFrom(client, stream, BigInt(actual + 1), events.length);
      return (
        retriedIn(stream, events, actual < 0 ? 'no-stream' : actual, written) ??
        unexpected(stream, events.length, written.length)
      );
    }
  }

  /**
   * The stream as the ledger wrote it. A stream the server reports missing may be soft-deleted,
   * its history hidden: appending "no stream" there would land at the old last revision + 1
   * on a chain sealed from genesis (SoftUndeleteStream), so that is refused.
   */
  async function readLedgerStream(stream: string): Promise<RecordedEvent[]> {
    const history = await readStreamFrom(client, stream, 'start');
    if (history.length > 0) return history;
    const { metadata } = await client.getStreamMetadata(stream);
    if (metadata?.truncateBefore !== undefined) {
      throw new DeletedStreamError(
        stream,
        `soft-deleted or truncated ($tb ${metadata.truncateBefore})`,
      );
    }
    return history;
  }

  /**
   * The append plan (append-plan.ts) on the stream as read. Where KurrentDB differs from the
   * stores that hold a lock: the state is the one stream, read without a lock (the exact
   * expected revision sent makes the server the judge, and a loss is planned again); positions
   * are the server's commit offsets, so the plan's are dropped; the tree is the sidecar's
   * (merkle.ts), extended from $all after the commit; the commit instant never goes before the
   * stream's head nor this process's last stamp.
   */
  function planOn(
    stream: string,
    stored: readonly EventSnapshot[],
    expectedRevision: ExpectedRevision,
    history: readonly RecordedEvent[],
  ): { retried: AppendResult } | { sealed: RecordedEvent[] } {
    const head = history.at(-1);
    const headAt = head?.metadata.recordedAt;
    const last = lastRecordedAt;
    const state: LockedState = {
      position: 0,
      recordedAt: last === undefined || (headAt ?? '') > last ? headAt : last,
      stored: new Map(history.map((event) => [event.eventId, event])),
      heads: new Map(head ? [[stream, { revision: head.revision, hash: head.metadata.hash }]] : []),
      tree: null,
    };
    const plan = planBatch([{ stream, expectedRevision, events: stored }], state);
    const outcome = plan.outcomes[0] as Outcome;
    if (!outcome.ok) throw outcome.error;
    if (outcome.written === 0) return { retried: outcome.result };
    return {
      sealed: plan.events.map(({ event }, index) => ({
        ...event,
        data: (stored[index] as EventSnapshot).event.data,
        position: 0,
      })),
    };
  }

  /** Refuses, before writing, what the server would refuse for its size. */
  function checkSize(stream: string, sealed: readonly RecordedEvent[]): void {
    const bytes = totalSize(sealed);
    if (bytes > options.maxAppendBytes) {
      throw new AppendTooLargeError(stream, bytes, options.maxAppendBytes, 'an append');
    }
  }

  /**
   * Sends the sealed batch at exactly `actual`. When the answer is lost (deadline, node gone)
   * the outcome is unknown, so the identical batch is sent again: if the first one committed,
   * the server recognises its ids at those revisions and answers success without writing
   * (IndexWriter.cs CheckCommit, 210-251); if the server dropped a retry of a commit not yet
   * replicated (StorageWriterService.cs, IdempotentNotReady), the next one finds it committed.
   */
  async function send(stream: string, sealed: readonly RecordedEvent[], actual: number) {
    const data = sealed.map(toEventData);
    for (let resend = 0; ; resend++) {
      try {
        return await client.appendToStream(stream, data, {
          expectedRevision: exactExpectedRevision(actual),
          deadline: options.appendDeadlineMs,
        });
      } catch (error) {
        if (!outcomeUnknown(error) || resend >= options.appendResends) throw error;
        esdbMetrics.unknownOutcomes.inc();
        await sleep(backoffDelay(resend, options.retry.baseDelayMs, options.retry.maxDelayMs));
      }
    }
  }

  async function reserve(stream: string, events: readonly EventToAppend[]): Promise<void> {
    await Promise.all(
      events.map(async ({ eventId }) => {
        const reservation = reservationStream(eventId);
        try {
          await client.appendToStream(
            reservation,
            jsonEvent({ type: RESERVATION_TYPE, data: { stream } }),
            { expectedRevision: NO_STREAM, deadline: options.appendDeadlineMs },
          );
        } catch (error) {
          // A lost answer or a rival: the reservation now names its owner either way.
          if (!(error instanceof WrongExpectedVersionError) && !outcomeUnknown(error)) throw error;
          const owner = await reservationOwner(reservation);
          if (owner === undefined) throw error;
          if (owner !== stream) {
            throw new EventIdConflictError(
              eventId,
              `already stored in stream ${owner}; this append is to stream ${stream}`,
            );
          }
        }
      }),
    );
  }

  async function reservationOwner(reservation: string): Promise<string | undefined> {
    const [first] = await readRaw(reservation);
    const data = first?.data as { stream?: unknown } | undefined;
    return typeof data?.stream === 'string' ? data.stream : undefined;
  }

  async function readRaw(stream: string) {
    const events: { data: unknown }[] = [];
    try {
      for await (const { event } of client.readStream(stream, { maxCount: 1 })) {
        if (event !== undefined) events.push(event);
      }
    } catch (error) {
      if (error instanceof StreamNotFoundError) return [];
      throw error;
    }
    return events;
  }

  async function findEvent(eventId: string): Promise<RecordedEvent | null> {
    const owner = await reservationOwner(reservationStream(eventId));
    if (owner === undefined) return null;
    // A reservation whose append never committed names a stream without the event.
    const history = await readStreamFrom(client, owner, 'start');
    return history.find((event) => event.eventId === eventId) ?? null;
  }

  return { append, findEvent };
}

function retriedIn(
  stream: string,
  events: readonly EventToAppend[],
  expected: ExpectedRevision,
  history: readonly RecordedEvent[],
): AppendResult | undefined {
  const byId = new Map(history.map((event) => [event.eventId, event]));
  return retriedAppendResult(
    stream,
    events,
    expected,
    events.map((event) => byId.get(event.eventId)),
  );
}

/** Failures after which the append may or may not have committed. */
function outcomeUnknown(error: unknown): boolean {
  if (error instanceof Error && isCommandError(error)) return OUTCOME_UNKNOWN.has(error.type);
  // Client/discovery.js: no node answered, so nothing tells whether the call got through.
  return error instanceof Error && /^Failed to discover after/.test(error.message);
}

const OUTCOME_UNKNOWN = new Set<ErrorType>([
  ErrorType.DEADLINE_EXCEEDED,
  ErrorType.UNAVAILABLE,
  ErrorType.TIMEOUT,
  ErrorType.CANCELLED,
]);

function totalSize(sealed: readonly RecordedEvent[]): number {
  return sealed.reduce((sum, event) => sum + sizeOnDisk(toEventData(event) as EventData), 0);
}

function unexpected(stream: string, sent: number, read: number): never {
  throw new Error(`${stream}: appended ${sent} events but read back ${read}`);
}
