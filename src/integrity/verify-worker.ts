/**
 * The body of a verify worker thread (verify-off-loop.ts starts it): opens the store its URL
 * names read-only, runs the chain checks over every event and posts the LedgerReport back, so
 * hashing the whole ledger never holds the server's event loop.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openEventStore } from '../eventstore/open.ts';
import { readLedger, verifyLedger, verifyOptionsFor } from './verify-ledger.ts';

const { storeUrl } = workerData as { storeUrl: string };
const store = await openEventStore(storeUrl, { readOnly: true });
try {
  parentPort?.postMessage(
    await verifyLedger(readLedger(store), verifyOptionsFor(store.capabilities)),
  );
} finally {
  await store.close();
}
