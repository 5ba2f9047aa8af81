/**
 * Compares the answers two sources give (a rebuild from verified events, and what the server
 * serves or its read models hold), program by program, as known at one position, so a read
 * model changed behind the ledger's back is named by the first program whose answer differs.
 */
import { programFacts } from '../../projections/program-facts.ts';
import type { CalendarDate } from '../domain/index.ts';
import type { EventStore } from '../eventstore/port.ts';
import { readLedger } from '../integrity/verify-ledger.ts';
import {
  type LedgerQueries,
  ledgerProjections,
  ledgerQueries,
  type ProjectionStates,
} from './ledger-queries.ts';
import { replayLedger } from './replay.ts';

/** The parts of a status every reader acts on; the rest (explanation, basis) follows from them. */
export interface StatusGist {
  status: string;
  rule: string;
  authorizedFrom: string | null;
  until: string | null;
}

export interface IntervalGist {
  from: string | null;
  until: string | null;
  status: string;
}

/** One side of the comparison; null when the source has no such program. */
export interface AnswerSource {
  status(programId: string, at: CalendarDate, position: number): Promise<StatusGist | null>;
  timeline(programId: string, position: number): Promise<IntervalGist[] | null>;
}

export const statusGist = ({ status, rule, authorizedFrom, until }: StatusGist): StatusGist => ({
  status,
  rule,
  authorizedFrom,
  until,
});

export const intervalGist = ({ from, until, status }: IntervalGist): IntervalGist => ({
  from,
  until,
  status,
});

/** The answers of queries over projection states (a live runtime, a replay, a checkpoint). */
export function answersOf(queries: Pick<LedgerQueries, 'status' | 'timeline'>): AnswerSource {
  return {
    status: async (programId, at, position) => {
      const answer = queries.status(programId, { at, asKnownAt: { position } });
      return answer && statusGist(answer);
    },
    timeline: async (programId, position) =>
      queries.timeline(programId, { position })?.map(intervalGist) ?? null,
  };
}

const describeStatus = (s: StatusGist | null) =>
  s === null
    ? 'no such program'
    : `${s.status} (${s.rule}) from ${s.authorizedFrom ?? '-'} until ${s.until ?? 'open-ended'}`;

const describeTimeline = (t: IntervalGist[] | null) =>
  t === null
    ? 'no such program'
    : t.map((i) => `${i.status} [${i.from ?? '…'}, ${i.until ?? '…'})`).join(', ');

/**
 * The first program, in the order given, whose status on `at` or whose timeline differs as
 * known at `position`, described in one line; null when every answer agrees.
 */
export async function firstDifferentAnswer(
  programIds: readonly string[],
  options: { at: CalendarDate; position: number },
  expected: AnswerSource,
  served: AnswerSource,
  servedBy = 'the server',
): Promise<string | null> {
  const { at, position } = options;
  for (const programId of programIds) {
    const [want, got] = await Promise.all([
      expected.status(programId, at, position),
      served.status(programId, at, position),
    ]);
    if (JSON.stringify(want) !== JSON.stringify(got))
      return `program ${programId}: ${servedBy} answers ${describeStatus(got)} on ${at} as known at position ${position}, the verified events give ${describeStatus(want)}`;
    const [wantTimeline, gotTimeline] = await Promise.all([
      expected.timeline(programId, position),
      served.timeline(programId, position),
    ]);
    if (JSON.stringify(wantTimeline) !== JSON.stringify(gotTimeline))
      return `program ${programId}: ${servedBy} gives the timeline ${describeTimeline(gotTimeline)} as known at position ${position}, the verified events give ${describeTimeline(wantTimeline)}`;
  }
  return null;
}

export interface AnswersReport {
  ok: boolean;
  programs: number;
  position: number;
  difference: string | null;
}

/**
 * The server's own check (GET /v1/ledger/verify?answers=true): every read model rebuilt from
 * the events, compared with the running ones as known at the position they had reached.
 */
export async function compareWithRebuild(
  store: EventStore,
  live: ProjectionStates & { readonly position: number },
  at: CalendarDate,
): Promise<AnswersReport> {
  const position = live.position;
  const replayed = await replayLedger(readLedger(store), ledgerProjections, {
    toPosition: position,
  });
  const programIds = [
    ...new Set([
      ...replayed.state(programFacts).programs.keys(),
      ...live.state(programFacts).programs.keys(),
    ]),
  ].sort();
  const difference = await firstDifferentAnswer(
    programIds,
    { at, position },
    answersOf(ledgerQueries(store, replayed)),
    answersOf(ledgerQueries(store, live)),
    'the running read model',
  );
  return { ok: difference === null, programs: programIds.length, position, difference };
}
