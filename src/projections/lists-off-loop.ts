/**
 * The whole-ledger lists (violations, backdating) computed in a worker thread (lists-worker.ts),
 * so a list over the whole ledger never holds the server's event loop: /healthz and every other
 * request keep being answered meanwhile. One worker per ledger, started on the first list and
 * kept, with its own read models brought forward by the events since its last list.
 */
import type { Worker } from 'node:worker_threads';
import type { BackdatedFact } from '../../projections/backdating.ts';
import type { ShipmentViolation } from '../../projections/violations.ts';
import { startWorker } from '../core/worker-thread.ts';
import type { AsKnownAt } from '../domain/windows.ts';
import type { ListAnswer, ListQuestion } from './lists-worker.ts';

export interface LedgerLists {
  /** The violations as of the ledger's first `position` events (as known at `asKnownAt`). */
  violations(position: number, asKnownAt?: AsKnownAt): Promise<ShipmentViolation[]>;
  /** The backdated facts as of the ledger's first `position` events (as known at `asKnownAt`). */
  backdating(
    thresholdDays: number,
    position: number,
    asKnownAt?: AsKnownAt,
  ): Promise<BackdatedFact[]>;
  /** Stops the worker; a list still being computed is refused. */
  close(): Promise<void>;
}

type Pending = { resolve(items: unknown[]): void; reject(e: Error): void };

export function offLoopLists(storeUrl: string): LedgerLists {
  let worker: Worker | null = null;
  let nextJob = 1;
  const pending = new Map<number, Pending>();

  const failAll = (failed: Worker, error: Error) => {
    for (const job of pending.values()) job.reject(error);
    pending.clear();
    if (worker === failed) worker = null;
  };

  const running = (): Worker => {
    if (worker) return worker;
    const started = startWorker(import.meta.url, 'lists-worker', { storeUrl });
    started.on('message', (answer: ListAnswer) => {
      const job = pending.get(answer.job);
      pending.delete(answer.job);
      // An idle worker does not keep the process alive.
      if (pending.size === 0) started.unref();
      if ('items' in answer) job?.resolve(answer.items);
      else job?.reject(new Error(`the list failed: ${answer.error}`));
    });
    started.once('error', (error) => failAll(started, error));
    started.once('exit', (code) =>
      failAll(started, new Error(`the lists worker exited with code ${code}`)),
    );
    worker = started;
    return started;
  };

  const ask = <T>(question: ListQuestion): Promise<T[]> =>
    new Promise((resolve, reject) => {
      const id = nextJob++;
      pending.set(id, { resolve: (items) => resolve(items as T[]), reject });
      const thread = running();
      thread.ref();
      thread.postMessage({ ...question, job: id });
    });

  return {
    violations: (position, asKnownAt) =>
      ask<ShipmentViolation>({ list: 'violations', position, ...(asKnownAt && { asKnownAt }) }),
    backdating: (thresholdDays, position, asKnownAt) =>
      ask<BackdatedFact>({
        list: 'backdating',
        thresholdDays,
        position,
        ...(asKnownAt && { asKnownAt }),
      }),
    async close() {
      const stopping = worker;
      worker = null;
      await stopping?.terminate();
    },
  };
}
