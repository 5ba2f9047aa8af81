import { Temporal } from 'temporal-polyfill';
import { type AuditEntry, auditTrail } from '../../projections/audit-trail.ts';
import { backdating } from '../../projections/backdating.ts';
import { deadlines } from '../../projections/deadlines.ts';
import type { ProjectionDefinition } from '../../projections/definition.ts';
import { eventStreams } from '../../projections/event-streams.ts';
import {
  factsOfProgram,
  knownIndex,
  type ProgramFactsIndex,
  programFacts,
} from '../../projections/program-facts.ts';
import { knownAtPosition, recordClock } from '../../projections/record-clock.ts';
import { knownShipments, shipmentKnownAt, shipments } from '../../projections/shipments.ts';
import { type SignatureOnEvent, signatures } from '../../projections/signatures.ts';
import { timeline } from '../../projections/timeline.ts';
import { judgedWhenRecorded, violations } from '../../projections/violations.ts';
import {
  type AsKnownAt,
  type Breach,
  type CalendarDate,
  checkLines,
  type EventData,
  evaluate,
  type Fact,
  knowledgeOf,
  type ProgramKnowledge,
  type ProgramStatus,
  type ShipmentJudgment,
  type Shipped,
  streams,
} from '../domain/index.ts';
import type { EventStore } from '../eventstore/port.ts';
import { statusCache } from './status-cache.ts';

/** Where the queries read projection states: the live runtime, or a one-off replay. */
export interface ProjectionStates {
  state<S>(definition: ProjectionDefinition<S>): S;
}

/** Every projection the ledger runs. */
export const ledgerProjections = [
  programFacts,
  shipments,
  eventStreams,
  recordClock,
  signatures,
] as const;

export interface ProgramFilter {
  at: CalendarDate;
  supplierId?: string;
  specificationId?: string;
  status?: string;
}

export interface ProgramSummary extends EventData<'ProgramRegistered'> {
  /** The title its specification was registered with, so lists show it beside the id. */
  specificationTitle?: string;
  status: ProgramStatus;
}

/**
 * The questions docs/design.md §2 lists, answered from the running projections (and, for the audit
 * trail, from the streams themselves). Each returns null for a program the ledger does not hold.
 */
export function ledgerQueries(
  store: Pick<EventStore, 'readStream'>,
  projections: ProjectionStates,
) {
  const facts = () => projections.state(programFacts);
  const shipped = () => projections.state(shipments);
  /** An instant as the prefix of the global order known then (record-clock.ts). */
  const cut = (asKnownAt: AsKnownAt | undefined): { position: number } | undefined => {
    if (asKnownAt === undefined || 'position' in asKnownAt) return asKnownAt;
    const position = knownAtPosition(
      projections.state(recordClock),
      Temporal.Instant.from(asKnownAt.instant).epochMilliseconds,
    );
    return position === null ? undefined : { position };
  };
  const signaturesOf = (eventId: string): readonly SignatureOnEvent[] =>
    projections.state(signatures).get(eventId) ?? [];
  const cache = statusCache();
  const knowledgeCache = statusCache<ProgramKnowledge>();
  /**
   * What a check reads of a program (its authorization picture and limits, the costly part of
   * a check), from the cache while its facts are unchanged; `cutAt` as a ledger size, so a cut
   * after every fact (a shipment's own position) is the answer as known now.
   */
  const knowledgeOfProgram = (
    index: ProgramFactsIndex,
    programId: string,
    cutAt?: { position: number },
  ): ProgramKnowledge =>
    knowledgeCache.answer(
      index,
      { programId, at: '', ...(cutAt && { ledgerSize: cutAt.position }) },
      () => knowledgeOf(factsOfProgram(index, programId) ?? [], cutAt),
    ) as ProgramKnowledge;
  /** The status from the cache while the program's facts are unchanged (status-cache.ts). */
  const statusOf = (
    index: ProgramFactsIndex,
    programId: string,
    options: { at: CalendarDate; asKnownAt?: AsKnownAt; ledgerSize?: number },
  ): ProgramStatus | null => {
    const asKnownAt = cut(options.asKnownAt);
    return cache.answer(
      index,
      {
        programId,
        at: options.at,
        ...(asKnownAt && { knownAtPosition: asKnownAt.position }),
        ...(options.ledgerSize !== undefined && { ledgerSize: options.ledgerSize }),
      },
      () => {
        const known = cutAtSize(factsOfProgram(index, programId), options.ledgerSize);
        return known && evaluate(known, { at: options.at, ...(asKnownAt && { asKnownAt }) });
      },
    );
  };

  /**
   * One page of programs in id order, and how many match. The status is evaluated only for the
   * page, unless the filter is on the status itself, so one page of 10,000 programs does not
   * evaluate them all.
   */
  function programPage(
    filter: ProgramFilter & { idContains?: string; offset: number; limit?: number },
  ): { total: number; programs: ProgramSummary[] } {
    const index = facts();
    const matching: { programId: string; registered: EventData<'ProgramRegistered'> }[] = [];
    for (const [programId, own] of index.programs) {
      if (filter.idContains && !programId.includes(filter.idContains)) continue;
      const registered = own.find((f) => f.type === 'ProgramRegistered');
      if (registered?.type !== 'ProgramRegistered') continue;
      if (filter.supplierId && registered.data.supplierId !== filter.supplierId) continue;
      if (filter.specificationId && registered.data.specificationId !== filter.specificationId)
        continue;
      matching.push({ programId, registered: registered.data });
    }
    matching.sort((a, b) => a.programId.localeCompare(b.programId));
    const titleOf = (specificationId: string) => {
      const spec = index.specifications
        .get(specificationId)
        ?.find((f) => f.type === 'SpecificationRegistered');
      return spec?.type === 'SpecificationRegistered'
        ? { specificationTitle: spec.data.title }
        : {};
    };
    const withStatus = ({ programId, registered }: (typeof matching)[number]) => ({
      ...registered,
      ...titleOf(registered.specificationId),
      status: statusOf(index, programId, { at: filter.at }) as ProgramStatus,
    });
    const page = <T>(all: T[]) =>
      all.slice(
        filter.offset,
        filter.limit === undefined ? undefined : filter.offset + filter.limit,
      );
    if (!filter.status) return { total: matching.length, programs: page(matching).map(withStatus) };
    const found = matching.map(withStatus).filter((p) => p.status.status === filter.status);
    return { total: found.length, programs: page(found) };
  }

  return {
    /** `ledgerSize`: answer from the ledger cut at that position (a receipt's tree size). */
    status(
      programId: string,
      options: { at: CalendarDate; asKnownAt?: AsKnownAt; ledgerSize?: number },
    ): ProgramStatus | null {
      return statusOf(facts(), programId, options);
    },

    timeline(programId: string, asKnownAt?: AsKnownAt, ledgerSize?: number) {
      const known = cutAtSize(factsOfProgram(facts(), programId), ledgerSize);
      return known && timeline(known, cut(asKnownAt));
    },

    /** Programs with their status on `at`, as known now, optionally filtered. */
    programs: (filter: ProgramFilter): ProgramSummary[] =>
      programPage({ ...filter, offset: 0 }).programs,
    programPage,

    /** `personOf` names the person behind a key id (src/api/people.ts printedNames). */
    async auditTrail(
      programId: string,
      asKnownAt?: AsKnownAt,
      personOf?: (keyId: string) => string | null,
    ): Promise<AuditEntry[] | null> {
      const known = factsOfProgram(facts(), programId);
      if (!known) return null;
      const names = new Set(known.map((f) => f.stream));
      names.add(streams.program(programId));
      const events = (await Promise.all([...names].map((s) => store.readStream(s)))).flat();
      return auditTrail(events, cut(asKnownAt), signaturesOf, personOf);
    },

    /** The signatures on an event known at `asKnownAt` (default now), in record order (docs/design.md §10). */
    signaturesOf(eventId: string, asKnownAt?: AsKnownAt): SignatureOnEvent[] {
      const known = cut(asKnownAt);
      return signaturesOf(eventId).filter((s) => !known || s.position <= known.position);
    },

    /** The stream that holds an event, or null when the ledger has no such event. */
    streamOf: (eventId: string): string | null =>
      projections.state(eventStreams).get(eventId) ?? null,

    /**
     * Order lines of one program checked in order against its letters and the shipments on
     * record, as known at `asKnownAt` (docs/design.md "Checks"). A program the ledger does not
     * hold has no authorization: every line is blocked.
     */
    check(programId: string, lines: readonly Shipped[], asKnownAt?: AsKnownAt): ShipmentJudgment[] {
      const at = cut(asKnownAt);
      const onRecord = (shipped().byProgram.get(programId) ?? []).filter((e) =>
        at ? shipmentKnownAt(e, at.position) : e.retractedAt === null,
      );
      return checkLines(knowledgeOfProgram(facts(), programId, at), onRecord, lines);
    },

    /** What a recorded shipment breaks as known when it was recorded; null when nothing. */
    shipmentViolation(
      programId: string,
      eventId: string,
    ): { breach: Breach; explanation: string } | null {
      const list = shipped().byProgram.get(programId) ?? [];
      const entry = shipped().byEventId.get(eventId);
      if (!entry) return null;
      const known = knowledgeOfProgram(facts(), programId, { position: entry.position });
      const judged = judgedWhenRecorded(known, list, entry);
      return judged.breach && { breach: judged.breach, explanation: judged.explanation };
    },

    deadlines: (options: { today: CalendarDate; withinDays: number; asKnownAt?: AsKnownAt }) =>
      deadlines(facts(), options),
    /**
     * With `asKnownAt`: the list as it read then (shipments, letters and retractions known then).
     * With `programId`: only that program's (its cost, not the ledger's).
     */
    violations: (asKnownAt?: AsKnownAt, programId?: string) => {
      const known = knownIndex(facts(), asKnownAt);
      return violations(known, knownShipments(shipped(), known, asKnownAt), programId);
    },
    backdating: (thresholdDays: number, asKnownAt?: AsKnownAt, programId?: string) => {
      const known = knownIndex(facts(), asKnownAt);
      return backdating(
        known,
        knownShipments(shipped(), known, asKnownAt),
        thresholdDays,
        programId,
      );
    },
  };
}

export type LedgerQueries = ReturnType<typeof ledgerQueries>;

/** The facts of the ledger's first `size` events; null (no program) when none of them is its own. */
function cutAtSize(facts: Fact[] | null, size: number | undefined): Fact[] | null {
  if (facts === null || size === undefined) return facts;
  const kept = facts.filter((f) => f.position <= size);
  return kept.some((f) => f.type === 'ProgramRegistered') ? kept : null;
}
