/**
 * Whole-ledger verification in a worker thread (verify-worker.ts), for the server: the same
 * checks as verifyLedger, while the event loop keeps answering other requests.
 */
import { Worker } from 'node:worker_threads';
import type { LedgerReport } from './verify-ledger.ts';

/**
 * The worker file sits next to this module with its extension: .js when running from dist/,
 * .ts under tsx or vitest, where the worker first registers tsx (the `tsx` dev dependency) to
 * load TypeScript, because a worker thread does not inherit the parent's loader.
 */
function startWorker(storeUrl: string): Worker {
  const here = import.meta.url;
  const extension = here.endsWith('.ts') ? '.ts' : '.js';
  const file = new URL(`./verify-worker${extension}`, here);
  if (extension === '.js') return new Worker(file, { workerData: { storeUrl } });
  const tsx = import.meta.resolve('tsx/esm/api');
  const bootstrap = `import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(file.href)}); })`;
  return new Worker(bootstrap, { eval: true, workerData: { storeUrl } });
}

/** verifyLedger over the store `storeUrl` names, opened read-only in a worker thread. */
export function verifyOffLoop(storeUrl: string): Promise<LedgerReport> {
  return new Promise((resolve, reject) => {
    const worker = startWorker(storeUrl);
    let report: LedgerReport | undefined;
    worker.once('message', (message: LedgerReport) => {
      report = message;
    });
    worker.once('error', reject);
    worker.once('exit', (code) =>
      report === undefined
        ? reject(new Error(`the verify worker exited with code ${code} and no report`))
        : resolve(report),
    );
  });
}
