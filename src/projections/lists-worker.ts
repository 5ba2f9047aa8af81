/**
 * The body of the whole-ledger lists worker thread (lists-off-loop.ts starts it). It keeps its
 * own copy of the two read models the lists read (program facts and shipments), brought up to
 * the position each job names by reading only the events since the last job, and answers with
 * the same ledger queries the server has (ledger-queries.ts): the rules stay in projections/.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { ProjectionDefinition } from '../../projections/definition.ts';
import { programFacts } from '../../projections/program-facts.ts';
import { shipments } from '../../projections/shipments.ts';
import type { AsKnownAt } from '../domain/windows.ts';
import { openEventStore } from '../eventstore/open.ts';
import { ledgerQueries } from './ledger-queries.ts';

/** Which list, as of the ledger's first `position` events. */
export type ListQuestion = { position: number; asKnownAt?: AsKnownAt } & (
  | { list: 'violations' }
  | { list: 'backdating'; thresholdDays: number }
);
export type ListJob = ListQuestion & { job: number };

export type ListAnswer = { job: number; items: unknown[] } | { job: number; error: string };

const PAGE = 1000;
const { storeUrl } = workerData as { storeUrl: string };
const opened = openEventStore(storeUrl, { readOnly: true });
let facts = programFacts.initialState();
let shipped = shipments.initialState();
let position = 0;

/** Applies the events after `position` up to `target` (never past it: the answer is at `target`). */
async function catchUp(target: number): Promise<void> {
  const store = await opened;
  while (position < target) {
    const page = await store.readAll({
      fromPosition: position + 1,
      limit: Math.min(PAGE, target - position),
    });
    if (page.length === 0) return;
    for (const event of page) {
      facts = programFacts.apply(facts, event);
      shipped = shipments.apply(shipped, event);
      position = event.position;
    }
  }
}

// The lists read these two read models only.
const queries = ledgerQueries(
  { readStream: async () => [] },
  {
    state: <S>(definition: ProjectionDefinition<S>): S => {
      if (definition.name === programFacts.name) return facts as S;
      if (definition.name === shipments.name) return shipped as S;
      throw new Error(`the lists worker keeps no ${definition.name} read model`);
    },
  },
);

async function answer(job: ListJob): Promise<unknown[]> {
  await catchUp(job.position);
  return job.list === 'violations'
    ? queries.violations(job.asKnownAt)
    : queries.backdating(job.thresholdDays, job.asKnownAt);
}

// Jobs run one after another, in the order sent: each reads the read models as its position left them.
let previous: Promise<void> = Promise.resolve();
parentPort?.on('message', (job: ListJob) => {
  previous = previous.then(() =>
    answer(job).then(
      (items) => parentPort?.postMessage({ job: job.job, items } satisfies ListAnswer),
      (error: Error) =>
        parentPort?.postMessage({ job: job.job, error: error.message } satisfies ListAnswer),
    ),
  );
});
