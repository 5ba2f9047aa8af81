/**
 * The body of the verify worker thread (verify-off-loop.ts starts it): for each job it opens the
 * store its URL names read-only, runs the chain checks over every event, closes the store and
 * posts the LedgerReport back, so hashing the whole ledger never holds the server's event loop.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openEventStore } from '../eventstore/open.ts';
import { type LedgerReport, readLedger, verifyLedger, verifyOptionsFor } from './verify-ledger.ts';

export type VerifyAnswer = { job: number; report: LedgerReport } | { job: number; error: string };

const { storeUrl } = workerData as { storeUrl: string };

async function verify(): Promise<LedgerReport> {
  const store = await openEventStore(storeUrl, { readOnly: true });
  try {
    return await verifyLedger(readLedger(store), verifyOptionsFor(store.capabilities));
  } finally {
    await store.close();
  }
}

parentPort?.on('message', ({ job }: { job: number }) => {
  verify().then(
    (report) => parentPort?.postMessage({ job, report } satisfies VerifyAnswer),
    (error: Error) => parentPort?.postMessage({ job, error: error.message } satisfies VerifyAnswer),
  );
});
