import { type AuditEntry, auditTrail } from '../../projections/audit-trail.ts';
import { backdating } from '../../projections/backdating.ts';
import { deadlines } from '../../projections/deadlines.ts';
import type { ProjectionDefinition } from '../../projections/definition.ts';
import { eventStreams } from '../../projections/event-streams.ts';
import { factsOfProgram, programFacts } from '../../projections/program-facts.ts';
import { shipments } from '../../projections/shipments.ts';
import { timeline } from '../../projections/timeline.ts';
import { violations } from '../../projections/violations.ts';
import {
  type AsKnownAt,
  type CalendarDate,
  type EventData,
  evaluate,
  type Fact,
  type ProgramStatus,
  streams,
} from '../domain/index.ts';
import type { EventStore } from '../eventstore/port.ts';

/** Where the queries read projection states: the live runtime, or a one-off replay. */
export interface ProjectionStates {
  state<S>(definition: ProjectionDefinition<S>): S;
}

/** Every projection the ledger runs. */
export const ledgerProjections = [programFacts, shipments, eventStreams] as const;

export interface ProgramSummary extends EventData<'ProgramRegistered'> {
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

  return {
    /** `ledgerSize`: answer from the ledger cut at that position (a receipt's tree size). */
    status(
      programId: string,
      options: { at: CalendarDate; asKnownAt?: AsKnownAt; ledgerSize?: number },
    ): ProgramStatus | null {
      const known = cut(factsOfProgram(facts(), programId), options.ledgerSize);
      return known && evaluate(known, options);
    },

    timeline(programId: string, asKnownAt?: AsKnownAt, ledgerSize?: number) {
      const known = cut(factsOfProgram(facts(), programId), ledgerSize);
      return known && timeline(known, asKnownAt);
    },

    /** Programs with their status on `at`, as known now, optionally filtered. */
    programs(filter: {
      at: CalendarDate;
      supplierId?: string;
      specificationId?: string;
      status?: string;
    }): ProgramSummary[] {
      const found: ProgramSummary[] = [];
      for (const [programId, own] of facts().programs) {
        const registered = own.find((f) => f.type === 'ProgramRegistered');
        if (registered?.type !== 'ProgramRegistered') continue;
        const r = registered.data;
        if (filter.supplierId && r.supplierId !== filter.supplierId) continue;
        if (filter.specificationId && r.specificationId !== filter.specificationId) continue;
        const status = evaluate(factsOfProgram(facts(), programId) ?? own, { at: filter.at });
        if (filter.status && status.status !== filter.status) continue;
        found.push({ ...r, status });
      }
      return found.sort((a, b) => a.programId.localeCompare(b.programId));
    },

    async auditTrail(programId: string, asKnownAt?: AsKnownAt): Promise<AuditEntry[] | null> {
      const known = factsOfProgram(facts(), programId);
      if (!known) return null;
      const names = new Set(known.map((f) => f.stream));
      names.add(streams.program(programId));
      const events = (await Promise.all([...names].map((s) => store.readStream(s)))).flat();
      return auditTrail(events, asKnownAt);
    },

    /** The stream that holds an event, or null when the ledger has no such event. */
    streamOf: (eventId: string): string | null =>
      projections.state(eventStreams).get(eventId) ?? null,

    deadlines: (options: { today: CalendarDate; withinDays: number }) =>
      deadlines(facts(), options),
    violations: () => violations(facts(), shipped()),
    backdating: (thresholdDays: number) => backdating(facts(), shipped(), thresholdDays),
  };
}

export type LedgerQueries = ReturnType<typeof ledgerQueries>;

/** The facts of the ledger's first `size` events; null (no program) when none of them is its own. */
function cut(facts: Fact[] | null, size: number | undefined): Fact[] | null {
  if (facts === null || size === undefined) return facts;
  const kept = facts.filter((f) => f.position <= size);
  return kept.some((f) => f.type === 'ProgramRegistered') ? kept : null;
}
