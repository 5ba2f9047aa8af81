/**
 * Whole-ledger verification in a worker thread (verify-worker.ts), for the server: the same
 * checks as verifyLedger, while the event loop keeps answering other requests. One worker per
 * ledger, started on the first verify and kept: starting a thread (and, under tsx, compiling its
 * modules) costs more than a verify of a small ledger.
 */
import type { Worker } from 'node:worker_threads';
import { startWorker } from '../core/worker-thread.ts';
import type { LedgerReport } from './verify-ledger.ts';
import type { VerifyAnswer } from './verify-worker.ts';

export interface OffLoopVerifier {
  verify(): Promise<LedgerReport>;
  /** Stops the worker; a verify still running is refused. */
  close(): Promise<void>;
}

/** verifyLedger over the store `storeUrl` names, opened read-only in a worker thread per job. */
export function offLoopVerifier(storeUrl: string): OffLoopVerifier {
  let worker: Worker | null = null;
  let nextJob = 1;
  const pending = new Map<number, { resolve(r: LedgerReport): void; reject(e: Error): void }>();

  const failAll = (failed: Worker, error: Error) => {
    for (const job of pending.values()) job.reject(error);
    pending.clear();
    if (worker === failed) worker = null;
  };

  const running = (): Worker => {
    if (worker) return worker;
    const started = startWorker(import.meta.url, 'verify-worker', { storeUrl });
    started.on('message', (answer: VerifyAnswer) => {
      const job = pending.get(answer.job);
      pending.delete(answer.job);
      // An idle verifier does not keep the process alive.
      if (pending.size === 0) started.unref();
      if ('report' in answer) job?.resolve(answer.report);
      else job?.reject(new Error(`verify failed: ${answer.error}`));
    });
    started.once('error', (error) => failAll(started, error));
    started.once('exit', (code) =>
      failAll(started, new Error(`the verify worker exited with code ${code}`)),
    );
    worker = started;
    return started;
  };

  return {
    verify: () =>
      new Promise((resolve, reject) => {
        const job = nextJob++;
        pending.set(job, { resolve, reject });
        const thread = running();
        thread.ref();
        thread.postMessage({ job });
      }),
    async close() {
      const stopping = worker;
      worker = null;
      await stopping?.terminate();
    },
  };
}
