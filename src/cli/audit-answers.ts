/**
 * The answer half of `ledger audit`: every read model rebuilt from the verified events (those
 * the signed root covers), compared program by program with what the server serves (--url) or
 * with the read-model checkpoints kept beside a store file.
 */
import { type ProgramFactsIndex, programFacts } from '../../projections/program-facts.ts';
import { type CalendarDate, todayUtc } from '../domain/index.ts';
import type { EventStore, RecordedEvent } from '../eventstore/port.ts';
import { readLedger } from '../integrity/verify-ledger.ts';
import { fileCheckpointStore } from '../projections/checkpoints.ts';
import {
  type AnswerSource,
  answersOf,
  firstDifferentAnswer,
  intervalGist,
  statusGist,
} from '../projections/compare-answers.ts';
import { ledgerProjections, ledgerQueries } from '../projections/ledger-queries.ts';
import { replayLedger } from '../projections/replay.ts';
import { AuditFailure } from './audit.ts';
import type { ServerGet } from './integrity.ts';

export interface AnswersChecked {
  programs: number;
  /** The position the answers were compared as known at. */
  position: number;
  /** Read-model checkpoints not compared, with the reason (the server would rebuild them). */
  skipped: string[];
}

async function rebuilt(events: AsyncIterable<RecordedEvent>, treeSize: number) {
  const replayed = await replayLedger(events, ledgerProjections, { toPosition: treeSize });
  return { replayed, expected: answersOf(ledgerQueries({ readStream: async () => [] }, replayed)) };
}

const programsOf = (...indexes: ProgramFactsIndex[]) =>
  [...new Set(indexes.flatMap((index) => [...index.programs.keys()]))].sort();

/** Compares the answers the server serves, as known at the signed tree size, with a rebuild. */
export async function auditServedAnswers(
  get: ServerGet,
  events: AsyncIterable<RecordedEvent>,
  treeSize: number,
  at: CalendarDate = todayUtc(),
): Promise<AnswersChecked> {
  const { replayed, expected } = await rebuilt(events, treeSize);
  const served: AnswerSource = {
    async status(programId, on, position) {
      const body = (await get(
        `/v1/programs/${encodeURIComponent(programId)}/status?at=${on}&asKnownAt=${position}`,
        { absent: 'null' },
      )) as Parameters<typeof statusGist>[0] | null;
      return body && statusGist(body);
    },
    async timeline(programId, position) {
      const body = (await get(
        `/v1/programs/${encodeURIComponent(programId)}/timeline?asKnownAt=${position}`,
        { absent: 'null' },
      )) as { intervals: Parameters<typeof intervalGist>[0][] } | null;
      return body ? body.intervals.map(intervalGist) : null;
    },
  };
  const programIds = programsOf(replayed.state(programFacts));
  const difference = await firstDifferentAnswer(
    programIds,
    { at, position: treeSize },
    expected,
    served,
  );
  if (difference) throw new AuditFailure(`answers differ: ${difference}`);
  return { programs: programIds.length, position: treeSize, skipped: [] };
}

/**
 * Compares the answers the server's kept read model would give (the program-facts checkpoint
 * beside the file, read without the server's key) with a rebuild. A checkpoint that does not
 * load or is of another ledger is skipped: the server refuses it and rebuilds.
 */
export async function auditKeptAnswers(
  store: EventStore,
  path: string,
  treeSize: number,
  at: CalendarDate = todayUtc(),
): Promise<AnswersChecked> {
  const { replayed, expected } = await rebuilt(readLedger(store), treeSize);
  const raw = (await fileCheckpointStore(`${path}.projections`).load(programFacts.name)) as {
    version?: unknown;
    position?: unknown;
    eventId?: unknown;
    state?: unknown;
  } | null;
  const skip = (reason: string) => ({
    programs: 0,
    position: treeSize,
    skipped: [`${programFacts.name}: ${reason}`],
  });
  if (raw === null) return { programs: 0, position: treeSize, skipped: [] };
  if (raw.version !== programFacts.version) return skip('another version');
  const position = raw.position;
  if (typeof position !== 'number' || !Number.isSafeInteger(position) || position < 0)
    return skip('malformed');
  const [event] = position === 0 ? [] : await store.readAll({ fromPosition: position, limit: 1 });
  if (position > 0 && event?.eventId !== raw.eventId) return skip('of another ledger');
  let index: ProgramFactsIndex;
  try {
    index = programFacts.fromJSON(raw.state);
    programsOf(index);
  } catch {
    return skip('malformed');
  }
  const served = answersOf(
    ledgerQueries({ readStream: async () => [] }, { state: <S>() => index as S }),
  );
  const programIds = programsOf(replayed.state(programFacts), index);
  const cut = Math.min(position, treeSize);
  const difference = await firstDifferentAnswer(
    programIds,
    { at, position: cut },
    expected,
    served,
    `the read-model checkpoint ${programFacts.name}`,
  );
  if (difference) throw new AuditFailure(`answers differ: ${difference}`);
  return { programs: programIds.length, position: cut, skipped: [] };
}
